/**
 * The prices a dry run knows, by name: what each one is for and per how many units it is quoted. The values live
 * in `prices/cloud-prices.yaml` (dated list prices); a plan may override any of them in its top-level `prices:`
 * block, in the same unit (`prices: { dynamodb_write_request_units: 0.7 }` = USD 0.70 per million WRU). The plan
 * schema is built from this list, so an unknown name is a plan error with a "did you mean".
 */

export interface PriceUnit {
  /** The price is for this many `unit`s. */
  per: number;
  unit: string;
  what: string;
}

export const PRICE_UNITS = {
  dynamodb_write_request_units: { per: 1_000_000, unit: 'WRU', what: 'DynamoDB on-demand write request units (1 per started KB of each item written)' },
  dynamodb_read_request_units: { per: 1_000_000, unit: 'RRU', what: 'DynamoDB on-demand read request units (a scan: 1 per 8 KB read eventually consistent, 1 per 4 KB strongly)' },
  dynamodb_wcu_hours: { per: 1, unit: 'WCU-hour', what: 'DynamoDB provisioned write capacity, per WCU and hour' },
  dynamodb_rcu_hours: { per: 1, unit: 'RCU-hour', what: 'DynamoDB provisioned read capacity, per RCU and hour' },
  firestore_writes: { per: 100_000, unit: 'writes', what: 'Firestore document writes' },
  firestore_reads: { per: 100_000, unit: 'reads', what: 'Firestore document reads (an aggregation: 1 per 1,000 index entries)' },
  cosmos_request_units: { per: 1_000_000, unit: 'RU', what: 'Cosmos DB request units, serverless (a write costs about 5 RU per KB)' },
  s3_put_requests: { per: 1_000, unit: 'requests', what: 'S3 Standard PUT, COPY, POST and LIST requests (a multipart upload: one per part, plus two)' },
  s3_get_requests: { per: 1_000, unit: 'requests', what: 'S3 Standard GET and HEAD requests' },
  gcs_class_a_operations: { per: 1_000, unit: 'operations', what: 'Cloud Storage Standard class A operations (uploads, listings)' },
  gcs_class_b_operations: { per: 1_000, unit: 'operations', what: 'Cloud Storage Standard class B operations (downloads, metadata reads)' },
  azure_blob_write_operations: { per: 10_000, unit: 'operations', what: 'Azure Blob hot tier write operations (Put Blob, Put Block, Put Block List)' },
  azure_blob_list_operations: { per: 10_000, unit: 'operations', what: 'Azure Blob hot tier list operations' },
  azure_blob_read_operations: { per: 10_000, unit: 'operations', what: 'Azure Blob hot tier read operations (Get Blob, Get Blob Properties)' },
  aws_egress_internet_gb: { per: 1, unit: 'GB', what: 'AWS data transfer out to the internet (another cloud), first 10 TB of a month' },
  aws_inter_region_gb: { per: 1, unit: 'GB', what: 'AWS data transfer between two AWS regions' },
  gcp_egress_internet_gb: { per: 1, unit: 'GB', what: 'Google Cloud data transfer out to the internet (another cloud), premium tier, first TB of a month' },
  azure_egress_internet_gb: { per: 1, unit: 'GB', what: 'Azure data transfer out to the internet (another cloud), first 10 TB of a month' },
} as const satisfies Record<string, PriceUnit>;

export type PriceName = keyof typeof PRICE_UNITS;

export const PRICE_NAMES = Object.keys(PRICE_UNITS) as PriceName[];

export function isPriceName(name: string): name is PriceName {
  return Object.prototype.hasOwnProperty.call(PRICE_UNITS, name);
}

/**
 * A gRPC server on 127.0.0.1 speaking Firestore's own service definition (the protos the SDK ships), with the
 * handlers a test gives: for answers the emulator never gives (RESOURCE_EXHAUSTED, paged partitions).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { grpc, GrpcClient } from 'google-gax';

export interface FirestoreGrpc {
  host: string;
  close(): void;
}

export async function startFirestoreGrpc(handlers: grpc.UntypedServiceImplementation): Promise<FirestoreGrpc> {
  const protos = path.join(path.dirname(createRequire(import.meta.url).resolve('@google-cloud/firestore')), '..', 'protos');
  const pkg = new GrpcClient().loadProto(protos, 'google/firestore/v1/firestore.proto') as unknown as {
    google: { firestore: { v1: { Firestore: { service: grpc.ServiceDefinition } } } };
  };
  const server = new grpc.Server();
  server.addService(pkg.google.firestore.v1.Firestore.service, handlers);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { host: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

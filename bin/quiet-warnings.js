// The AWS SDK warns on every start that its 2027 releases will need Node 22; an operator cannot act on that
// mid-cutover, so that one warning is dropped (the README says which Node ferry supports). Imported first by the
// launchers in this folder.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === 'string' ? warning : (warning?.message ?? '');
  if (text.includes('will require node >=22')) return;
  return emitWarning.call(process, warning, ...rest);
};

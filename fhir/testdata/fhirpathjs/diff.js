// Evaluates FHIRPath cases with the reference JavaScript engine (npm
// package fhirpath, R4 model) for fhirpath_diff_test.go. Input (argv[2]): a
// JSON file {"resources": {name: resource}, "cases": [{"res": name,
// "expr": expression}]}. Output on stdout: one {"value": [...]} or
// {"error": "..."} per case, as a JSON array.
// With argv[3] = "bench" it instead times each case and prints ns/op.
const fs = require('fs');
const fhirpath = require('fhirpath');
const r4 = require('fhirpath/fhir-context/r4');

const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const compiled = new Map();
function compile(expr) {
  if (!compiled.has(expr)) compiled.set(expr, fhirpath.compile(expr, r4, { traceFn: () => {} }));
  return compiled.get(expr);
}
if (process.argv[3] === 'bench') {
  const out = [];
  for (const c of input.cases) {
    const f = compile(c.expr);
    const res = input.resources[c.res];
    // warm up (JIT) before timing
    const warm = process.hrtime.bigint();
    while (process.hrtime.bigint() - warm < 100000000n) f(res, { resource: res, rootResource: res });
    let n = 0;
    const start = process.hrtime.bigint();
    let now = start;
    while (now - start < 200000000n) {
      for (let i = 0; i < 100; i++) f(res, { resource: res, rootResource: res });
      n += 100;
      now = process.hrtime.bigint();
    }
    out.push({ nsPerOp: Number(now - start) / n });
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}
const out = input.cases.map((c) => {
  try {
    const res = input.resources[c.res];
    const v = compile(c.expr)(res, { resource: res, rootResource: res });
    return { value: v };
  } catch (e) {
    return { error: String(e.message || e).slice(0, 200) };
  }
});
process.stdout.write(JSON.stringify(out));

// A model inside your own Node app: `npm install berth`, then run
//
//   npx berth train node_modules/berth/examples/loans.csv --target defaulted -o loans.bundle
//   node predict.mjs loans.bundle
//
// loadModel also takes a `.berth` archive (berth export), a plain `.onnx` file (infer only), or a
// registry version: loadModel({ registry: '.berth', ref: 'loans@production' }, { monitor: true }).
import { loadModel } from 'berth';

const source = process.argv[2] ?? 'loans.bundle';
const model = await loadModel(source);
try {
  console.log(`${model.name} version ${model.version}: ${model.schema?.features.length ?? 0} features`);
  const { predictions } = await model.predict([
    { age: 45, annual_income: 42600, employment: 'retired', region: 'east', loan_amount: 16120, term_months: 24, credit_score: 716, open_accounts: 6, has_mortgage: 0 },
    { age: 23, annual_income: 18000, employment: 'student', region: 'capital', loan_amount: 30000, term_months: 60, credit_score: 540, open_accounts: 1, has_mortgage: 0 },
  ]);
  console.log(JSON.stringify(predictions));
} finally {
  await model.close(); // frees the model's worker thread; the process can then exit
}

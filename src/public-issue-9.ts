// Exports from branch issue-9, for the lead to merge into src/index.ts ('nmfinit').
export {
  allTests,
  mannWhitneyU,
  PRIMARY_TEST,
  pairedT,
  runTest,
  TEST_LABELS,
  TEST_NAMES,
  type TestName,
  type TestResult,
  welchT,
  wilcoxonSignedRank,
} from './report/stats.ts';
export {
  CLAIM_EARLY_MAX_EPOCH,
  type ClaimStatus,
  type ClaimVerdict,
  type Comparison,
  claimSummaryMarkdown,
  type EpochVerdict,
  formatP,
  type ResultSetVerdict,
  resultSetVerdict,
  SEED_CLAIM,
  SIGNIFICANCE_LEVELS,
  type Standing,
  VERDICT_EPOCHS,
  type VerdictInput,
} from './report/verdict.ts';
export { type ComputeOnceOptions, computeOnce } from './util/compute-once.ts';

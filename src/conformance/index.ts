/** The Open Inference Protocol conformance suite: its checks, its models and its runner. */
export { CheckFailure, type CheckArea, type CheckContext, type ConformanceCheck, type ConformanceProfile, type HttpAnswer, httpContext } from './conformance-check.js';
export { PAIR_MODEL, conformanceModels, identityModel, identityModelName, pairModel, writeConformanceModels } from './conformance-models.js';
export { OIP_CHECKS, SAMPLES } from './oip-checks.js';
export { type CheckResult, type ConformanceOptions, type ConformanceReport, formatConformanceReport, runConformance } from './run-conformance.js';

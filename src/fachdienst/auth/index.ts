export { AuthCache } from './authCache.js';
export type { AuthCacheOptions } from './authCache.js';
export {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  needsRehash,
  PASSWORD_MIN_LENGTH,
  PasswordHashError,
  passwordPolicyProblem,
  verifyPassword,
} from './password.js';
export type { ScryptParams } from './password.js';
export { AuthThrottle, DEFAULT_THROTTLE_POLICY, ipKey, throttleDelay } from './throttle.js';
export type {
  AuthFailureCounter,
  AuthThrottleOptions,
  ThrottleDecision,
  ThrottlePolicy,
} from './throttle.js';

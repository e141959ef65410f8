// Your own k6 warm-up script (canary.warmup.script) instead of generated endpoints.
// rollwise passes BASELINE_URL, CANARY_URL, ROLLWISE_WEIGHT and ROLLWISE_PHASE with -e, runs it for the whole
// phase and stops it with SIGINT when the phase ends. Tag every request track=baseline|canary.
import http from 'k6/http';
import { check } from 'k6';

function track(name, url) {
  return {
    executor: 'constant-arrival-rate',
    rate: 20,
    timeUnit: '1s',
    duration: '10m',
    preAllocatedVUs: 4,
    exec: 'hit',
    env: { TARGET: url },
    tags: { track: name },
  };
}

export const options = {
  scenarios: {
    baseline: track('baseline', __ENV.BASELINE_URL),
    canary: track('canary', __ENV.CANARY_URL),
  },
  thresholds: { 'http_req_failed{track:canary}': ['rate<0.2'] },
};

export function hit() {
  const response = http.get(`${__ENV.TARGET}/api/items`);
  check(response, { 'status is 200': (r) => r.status === 200 });
}

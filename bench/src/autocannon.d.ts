// autocannon ships no types; only what load.ts reads is declared.
declare module 'autocannon' {
  interface Stats {
    average: number;
    total: number;
    p50: number;
    p99: number;
  }
  interface Result {
    requests: Stats;
    latency: Stats;
    '2xx': number;
    non2xx: number;
    errors: number;
    timeouts: number;
    duration: number;
  }
  interface Options {
    url: string;
    duration?: number;
    headers?: Record<string, string>;
    overallRate?: number;
    connections?: number;
  }
  function autocannon(options: Options): Promise<Result>;
  export default autocannon;
}

/**
 * "Now" for every decision that depends on time (when a token is due for rotation or renewal, how long a token
 * has left): the machine's clock, read here and nowhere else. Never taken from the environment: a variable left
 * set would freeze renewals and hide expiry, and a future one would record a future issue time (issue 20).
 * The tests move time from outside the product instead (tests/support/clock.ts, docs/testing.md).
 */
export function runTime(): Date {
    return new Date();
}

package io.streamstore.spi;

/**
 * How messages leave a stream besides limits. The store itself treats every retention alike
 * (consumers remove messages through {@link StreamStore#remove(long)}); backends may use it to pick
 * defaults, e.g. smaller blocks for work queues whose messages are short-lived.
 */
public enum Retention
{
    /** Messages stay until a limit removes them. */
    LIMITS,
    /** Messages stay while some consumer still has interest; the broker removes them. */
    INTEREST,
    /** Each message is removed once one consumer acknowledges it. */
    WORK_QUEUE
}

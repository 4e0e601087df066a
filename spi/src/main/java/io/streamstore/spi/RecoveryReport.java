package io.streamstore.spi;

/**
 * What a durable store found when it was opened, so that a broker can tell its users what a crash
 * cost. A store that lost nothing reports {@link #CLEAN}.
 *
 * @param usedIndex       true when state came from a valid index file rather than a full scan
 * @param bytesCut        bytes cut from a torn or corrupt tail
 * @param recordsLost     records (whole or torn) dropped with that cut
 * @param firstLostSeq    lowest sequence known to be lost, 0 when none is known
 * @param lastLostSeq     highest sequence known to be lost, 0 when none is known; never handed out again
 * @param detail          a sentence for a log: which file and offset, and why
 */
public record RecoveryReport(
    boolean usedIndex, long bytesCut, long recordsLost, long firstLostSeq, long lastLostSeq, String detail)
{
    /** Nothing was lost or cut. */
    public static final RecoveryReport CLEAN = new RecoveryReport(false, 0, 0, 0, 0, "nothing to recover");

    /** True when the open cut anything. */
    public boolean cutAnything()
    {
        return bytesCut > 0 || recordsLost > 0;
    }
}

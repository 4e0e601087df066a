package io.streamstore.lmdbstore;

/**
 * The changes made in the open write transaction since its last commit, as LMDB-level operations.
 *
 * <p>Why it exists: the store keeps one write transaction open across many calls and commits it lazily.
 * When an operation fails inside LMDB ({@code MDB_MAP_FULL}, {@code MDB_TXN_FULL}, a corrupt page), LMDB
 * poisons the whole transaction, which also holds earlier changes whose callers were already answered.
 * The store then aborts, grows the map if that was the cause, and replays this log into a new
 * transaction, so that nothing a caller was told is lost and the failed operation leaves no trace.
 */
final class RedoLog
{
    static final byte APPEND = 1;
    static final byte REMOVE = 2;
    static final byte PURGE = 3;

    /** What a replay applies the operations to. */
    interface Sink
    {
        void put(long seq, byte[] subject, byte[] record);

        void delete(long seq, byte[] subject);

        void purge();
    }

    private byte[] kinds = new byte[256];
    private long[] seqs = new long[256];
    private byte[][] subjects = new byte[256][];
    private byte[][] records = new byte[256][];
    private int size;
    private long bytes;

    void append(final long seq, final byte[] subject, final byte[] record)
    {
        add(APPEND, seq, subject, record);
        bytes += record.length + subject.length + 16;
    }

    void remove(final long seq, final byte[] subject)
    {
        add(REMOVE, seq, subject, null);
        bytes += subject.length + 16;
    }

    void purge()
    {
        add(PURGE, 0, null, null);
    }

    int size()
    {
        return size;
    }

    /** Roughly the heap the log holds, to bound a batch. */
    long bytes()
    {
        return bytes;
    }

    /** Forgets the operations from {@code mark} on (those of a failed call). */
    void truncate(final int mark)
    {
        for (int i = mark; i < size; i++)
        {
            subjects[i] = null;
            records[i] = null;
        }
        size = mark;
        long b = 0;
        for (int i = 0; i < size; i++)
        {
            b += (records[i] == null ? 0 : records[i].length) + (subjects[i] == null ? 0 : subjects[i].length + 16);
        }
        bytes = b;
    }

    void clear()
    {
        truncate(0);
    }

    void replay(final Sink sink)
    {
        for (int i = 0; i < size; i++)
        {
            switch (kinds[i])
            {
                case APPEND -> sink.put(seqs[i], subjects[i], records[i]);
                case REMOVE -> sink.delete(seqs[i], subjects[i]);
                case PURGE -> sink.purge();
                default -> throw new IllegalStateException("unknown redo operation " + kinds[i]);
            }
        }
    }

    private void add(final byte kind, final long seq, final byte[] subject, final byte[] record)
    {
        if (size == kinds.length)
        {
            final int n = size * 2;
            kinds = java.util.Arrays.copyOf(kinds, n);
            seqs = java.util.Arrays.copyOf(seqs, n);
            subjects = java.util.Arrays.copyOf(subjects, n);
            records = java.util.Arrays.copyOf(records, n);
        }
        kinds[size] = kind;
        seqs[size] = seq;
        subjects[size] = subject;
        records[size] = record;
        size++;
    }
}

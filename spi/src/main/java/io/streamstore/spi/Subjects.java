package io.streamstore.spi;

/**
 * Subject validation and filter matching, written once for every backend.
 *
 * <p>A subject is one or more dot-separated tokens ({@code orders.eu.42}). A token is not empty and
 * holds no whitespace, no control character (NUL included), no path separator ({@code /} or
 * {@code \}) and no wildcard character. A filter is a subject whose tokens may also be exactly
 * {@code *} (any one token) or, as the last token only, {@code >} (one or more further tokens).
 * Both are at most {@link #MAX_SUBJECT_BYTES} bytes of well-formed UTF-8.
 */
public final class Subjects
{
    /**
     * Longest subject or filter, in UTF-8 bytes. Chosen so that a subject and an 8-byte sequence fit in
     * LMDB's 511-byte key, the tightest limit of any backend.
     */
    public static final int MAX_SUBJECT_BYTES = 480;

    /** The filter that matches every subject. */
    public static final String ALL = ">";

    private Subjects()
    {
    }

    /**
     * Checks a subject to append on.
     *
     * @return its length in UTF-8 bytes, the subject's share of the message size
     * @throws IllegalArgumentException naming {@code subject} and what is wrong with it
     */
    public static int validateSubject(final String subject)
    {
        return check(subject, "subject", false);
    }

    /**
     * Checks a filter for reads ({@code *} and a trailing {@code >} allowed).
     *
     * @throws IllegalArgumentException naming {@code filter} and what is wrong with it
     */
    public static void validateFilter(final String filter)
    {
        check(filter, "filter", true);
    }

    /** True when {@code filter} has no wildcard token, so it names exactly one subject. */
    public static boolean isLiteral(final String filter)
    {
        final int length = filter.length();
        int tokenStart = 0;
        for (int i = 0; i <= length; i++)
        {
            if (i == length || filter.charAt(i) == '.')
            {
                if (i - tokenStart == 1)
                {
                    final char c = filter.charAt(tokenStart);
                    if (c == '*' || c == '>')
                    {
                        return false;
                    }
                }
                tokenStart = i + 1;
            }
        }
        return true;
    }

    /**
     * True when {@code subject} matches {@code filter}. Both are taken as valid (see
     * {@link #validateFilter}); this method allocates nothing.
     */
    public static boolean matches(final String filter, final String subject)
    {
        final int filterLength = filter.length();
        final int subjectLength = subject.length();
        int fi = 0;
        int si = 0;
        while (true)
        {
            int fe = filter.indexOf('.', fi);
            if (fe < 0)
            {
                fe = filterLength;
            }
            int se = subject.indexOf('.', si);
            if (se < 0)
            {
                se = subjectLength;
            }
            final int tokenLength = fe - fi;
            if (tokenLength == 1 && filter.charAt(fi) == '>')
            {
                return true;
            }
            final boolean anyToken = tokenLength == 1 && filter.charAt(fi) == '*';
            if (!anyToken && (se - si != tokenLength || !filter.regionMatches(fi, subject, si, tokenLength)))
            {
                return false;
            }
            if (fe == filterLength || se == subjectLength)
            {
                return fe == filterLength && se == subjectLength;
            }
            fi = fe + 1;
            si = se + 1;
        }
    }

    /** The length of {@code s} in UTF-8 bytes, without encoding it. */
    public static int utf8Length(final String s)
    {
        final int length = s.length();
        int bytes = length;
        for (int i = 0; i < length; i++)
        {
            final char c = s.charAt(i);
            if (c >= 0x80)
            {
                if (c < 0x800)
                {
                    bytes += 1;
                }
                else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(s.charAt(i + 1)))
                {
                    bytes += 2;
                    i++;
                }
                else
                {
                    bytes += 2;
                }
            }
        }
        return bytes;
    }

    static String describe(final char c)
    {
        return String.format("U+%04X%s", (int)c, Character.isISOControl(c) || Character.isWhitespace(c) ? "" : " '" + c + "'");
    }

    private static int check(final String s, final String what, final boolean wildcardsAllowed)
    {
        if (s == null)
        {
            throw new IllegalArgumentException(what + " must not be null");
        }
        final int length = s.length();
        if (length == 0)
        {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        int bytes = 0;
        int tokenStart = 0;
        for (int i = 0; i <= length; i++)
        {
            if (i == length || s.charAt(i) == '.')
            {
                if (i == tokenStart)
                {
                    throw new IllegalArgumentException(what + " '" + s + "' has an empty token at index " + i +
                        " (tokens are separated by single dots, with none at either end)");
                }
                if (i - tokenStart == 1 && s.charAt(tokenStart) == '>' && i != length)
                {
                    throw new IllegalArgumentException(what + " '" + s + "' has '>' before its last token");
                }
                tokenStart = i + 1;
                bytes++;
                continue;
            }
            final char c = s.charAt(i);
            if (c == '*' || c == '>')
            {
                if (!wildcardsAllowed)
                {
                    throw new IllegalArgumentException(what + " '" + s + "' has the wildcard '" + c + "' at index " + i +
                        "; wildcards belong in filters, never in a subject to append on");
                }
                final boolean wholeToken = i == tokenStart && (i + 1 == length || s.charAt(i + 1) == '.');
                if (!wholeToken)
                {
                    throw new IllegalArgumentException(what + " '" + s + "' has '" + c + "' at index " + i +
                        " inside a token; a wildcard must be a whole token");
                }
            }
            else if (Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c))
            {
                throw new IllegalArgumentException(what + " '" + s.replaceAll("\\p{Cntrl}", "?") + "' has " + describe(c) +
                    " at index " + i + "; whitespace and control characters are not allowed");
            }
            else if (c == '/' || c == '\\')
            {
                throw new IllegalArgumentException(what + " '" + s + "' has the path separator '" + c + "' at index " + i);
            }
            else if (Character.isSurrogate(c))
            {
                if (!Character.isHighSurrogate(c) || i + 1 == length || !Character.isLowSurrogate(s.charAt(i + 1)))
                {
                    throw new IllegalArgumentException(what + " has an unpaired surrogate " + describe(c) + " at index " + i +
                        "; it must be well-formed Unicode");
                }
                bytes += 4;
                i++;
                continue;
            }
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
        }
        bytes--; // the loop counted a separator after the last token
        if (bytes > MAX_SUBJECT_BYTES)
        {
            throw new IllegalArgumentException(what + " is " + bytes + " UTF-8 bytes long; at most " + MAX_SUBJECT_BYTES +
                " are allowed (starts '" + s.substring(0, Math.min(40, length)) + "...')");
        }
        return bytes;
    }
}

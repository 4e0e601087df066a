package io.streamstore.spi;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SubjectsTest
{
    @ParameterizedTest
    @ValueSource(strings = { "a", "orders", "orders.eu.42", "queue.9999", "a-b_c.d$e", "ü.ñ", "$KV.bucket.key" })
    void validSubjectsAreAccepted(final String subject)
    {
        assertEquals(subject.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, Subjects.validateSubject(subject));
    }

    @Test
    void validateSubjectCountsUtf8BytesOfSupplementaryCharacters()
    {
        final String subject = "emoji.\uD83D\uDE00";
        assertEquals(10, Subjects.validateSubject(subject));
        assertEquals(10, Subjects.utf8Length(subject));
    }

    @ParameterizedTest
    @ValueSource(strings = { "", ".", "a.", ".a", "a..b", "a b", "a\tb", "a\u0000b", "a.*", "a.>", "*", ">", "a*", "a.b>",
        "a/b", "a\\b", "..", "a.\u2028" })
    void invalidSubjectsAreRejectedNamingTheSubject(final String subject)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Subjects.validateSubject(subject));
        assertTrue(e.getMessage().startsWith("subject"), e.getMessage());
    }

    @Test
    void nullSubjectIsRejectedNamingTheSubject()
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Subjects.validateSubject(null));
        assertEquals("subject must not be null", e.getMessage());
    }

    @Test
    void unpairedSurrogateIsRejected()
    {
        assertThrows(IllegalArgumentException.class, () -> Subjects.validateSubject("a.\uD83D"));
    }

    @Test
    void subjectOfMaxBytesIsAcceptedAndOneMoreIsRejected()
    {
        final String max = "a".repeat(Subjects.MAX_SUBJECT_BYTES);
        assertEquals(Subjects.MAX_SUBJECT_BYTES, Subjects.validateSubject(max));
        final IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class, () -> Subjects.validateSubject(max + "b"));
        assertTrue(e.getMessage().contains("481 UTF-8 bytes"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = { ">", "*", "a.*", "a.>", "*.b.>", "a.*.c", "a" })
    void validFiltersAreAccepted(final String filter)
    {
        Subjects.validateFilter(filter);
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "a.>.b", ">.a", "a*", "a.b*", "a..*", "**", ">>", "a. *" })
    void invalidFiltersAreRejectedNamingTheFilter(final String filter)
    {
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Subjects.validateFilter(filter));
        assertTrue(e.getMessage().startsWith("filter"), e.getMessage());
    }

    @Test
    void literalFilterHasNoWildcardToken()
    {
        assertTrue(Subjects.isLiteral("a.b.c"));
        assertFalse(Subjects.isLiteral("a.*.c"));
        assertFalse(Subjects.isLiteral("a.>"));
        assertFalse(Subjects.isLiteral(">"));
    }

    @Test
    void starMatchesExactlyOneToken()
    {
        assertTrue(Subjects.matches("a.*.c", "a.b.c"));
        assertTrue(Subjects.matches("*", "a"));
        assertFalse(Subjects.matches("*", "a.b"));
        assertFalse(Subjects.matches("a.*", "a"));
        assertFalse(Subjects.matches("a.*.c", "a.b.c.d"));
        assertFalse(Subjects.matches("a.*.c", "a.b.d"));
    }

    @Test
    void greaterThanMatchesOneOrMoreTrailingTokens()
    {
        assertTrue(Subjects.matches(">", "a"));
        assertTrue(Subjects.matches(">", "a.b.c"));
        assertTrue(Subjects.matches("a.>", "a.b"));
        assertTrue(Subjects.matches("a.>", "a.b.c"));
        assertFalse(Subjects.matches("a.>", "a"));
        assertFalse(Subjects.matches("a.>", "b.c"));
    }

    @Test
    void literalFilterMatchesOnlyTheSameSubject()
    {
        assertTrue(Subjects.matches("orders.eu", "orders.eu"));
        assertFalse(Subjects.matches("orders.eu", "orders.eu2"));
        assertFalse(Subjects.matches("orders.eu", "orders.e"));
        assertFalse(Subjects.matches("orders.eu", "orders"));
        assertFalse(Subjects.matches("orders", "orders.eu"));
    }

    @Test
    void starDoesNotMatchAcrossTokenBoundaries()
    {
        assertTrue(Subjects.matches("*.b", "aaa.b"));
        assertFalse(Subjects.matches("*.b", "a.a.b"));
        assertTrue(Subjects.matches("*.*", "x.y"));
        assertFalse(Subjects.matches("*.*", "x"));
    }
}

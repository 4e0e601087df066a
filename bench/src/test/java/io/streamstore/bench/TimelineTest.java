package io.streamstore.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimelineTest
{
    @Test
    void oneSamplePerHundredthOfTheOperations()
    {
        final Timeline timeline = new Timeline(1_000);
        timeline.start();
        for (long done = 1; done <= 1_000; done++)
        {
            timeline.finished(done);
        }

        assertEquals(Timeline.BUCKETS, timeline.samples().size());
        assertFalse(Double.isNaN(timeline.firstTenthRate()));
        assertFalse(Double.isNaN(timeline.lastTenthRate()));
        assertTrue(timeline.samples().get(99).seconds() >= timeline.samples().get(0).seconds());
    }

    @Test
    void aLoopStoppedHalfwayIsJudgedByTheLastTenthItFinished()
    {
        final Timeline timeline = new Timeline(1_000);
        timeline.start();
        for (long done = 1; done <= 500; done++)
        {
            timeline.finished(done);
        }

        assertEquals(50, timeline.samples().size());
        assertFalse(Double.isNaN(timeline.lastTenthRate()));
    }

    @Test
    void aLoopStoppedBeforeTwoTenthsHasNoLastTenth()
    {
        final Timeline timeline = new Timeline(1_000);
        timeline.start();
        for (long done = 1; done <= 150; done++)
        {
            timeline.finished(done);
        }

        assertEquals(15, timeline.samples().size());
        assertTrue(Double.isNaN(timeline.lastTenthRate()));
    }

    @Test
    void fewerOperationsThanBucketsIsRefused()
    {
        assertThrows(IllegalArgumentException.class, () -> new Timeline(99));
    }
}

package io.streamstore.conformance.broken;

import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/** Runs a kit subclass through the JUnit Platform launcher and collects its results by rule (method) name. */
public final class KitRunner
{
    private KitRunner()
    {
    }

    /** What one run of the kit did, by test method name. */
    public static final class KitRun implements TestExecutionListener
    {
        public final Map<String, Throwable> failed = new ConcurrentHashMap<>();
        public final Set<String> passed = ConcurrentHashMap.newKeySet();
        public final Set<String> skipped = ConcurrentHashMap.newKeySet();

        @Override
        public void executionSkipped(final TestIdentifier id, final String reason)
        {
            if (id.isTest())
            {
                skipped.add(methodName(id));
            }
        }

        @Override
        public void executionFinished(final TestIdentifier id, final TestExecutionResult result)
        {
            if (!id.isTest())
            {
                return;
            }
            switch (result.getStatus())
            {
                case SUCCESSFUL -> passed.add(methodName(id));
                case ABORTED -> skipped.add(methodName(id));
                case FAILED -> failed.put(methodName(id), result.getThrowable().orElse(new AssertionError("failed")));
                default -> throw new IllegalStateException("unknown status " + result.getStatus());
            }
        }

        private static String methodName(final TestIdentifier id)
        {
            return id.getSource()
                .filter(MethodSource.class::isInstance)
                .map(s -> ((MethodSource)s).getMethodName())
                .orElse(id.getDisplayName());
        }

        public Set<String> failedRules()
        {
            return new TreeSet<>(failed.keySet());
        }

        public String summary()
        {
            final Map<String, String> why = new TreeMap<>();
            failed.forEach((k, v) ->
            {
                final String first = String.valueOf(v.getMessage()).lines().findFirst().orElse("");
                why.put(k, first.length() > 300 ? first.substring(0, 300) + "..." : first);
            });
            return passed.size() + " passed, " + skipped.size() + " skipped, " + failed.size() + " failed: " + why;
        }
    }

    /** Runs every rule of {@code kit} (a StreamStoreConformance subclass) and prints a one-line summary. */
    public static KitRun run(final Class<?> kit)
    {
        return run(kit, List.of(selectClass(kit)));
    }

    /** Runs the rules of {@code kit} that {@code selectors} pick and prints a one-line summary. */
    public static KitRun run(final Class<?> kit, final List<? extends DiscoverySelector> selectors)
    {
        final LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
            .selectors(selectors)
            .build();
        final Launcher launcher = LauncherFactory.create();
        final KitRun run = new KitRun();
        final long start = System.nanoTime();
        launcher.execute(request, run);
        System.out.println("kit against " + kit.getSimpleName() + " (" + (System.nanoTime() - start) / 1_000_000 +
            " ms): " + run.summary());
        return run;
    }
}

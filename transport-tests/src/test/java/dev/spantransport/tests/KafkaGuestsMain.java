package dev.spantransport.tests;

import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.sdk.testing.trace.TestSpanData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.data.StatusData;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many guests in one JVM, each a real {@code VsockSpanExporter} with its own connection and
 * session, streaming numbered spans to one host. Configured by system properties: {@code
 * guests.endpoint}, {@code guests.count}, {@code guests.firstId} (guest ids are firstId ..
 * firstId+count-1), {@code guests.spans} (per guest), {@code guests.batch}, {@code
 * guests.pauseMillis} (between batches). Prints {@code STARTED}; on {@code stats} prints {@code
 * STATS exported=.. acked=.. dropped=.. exportFailures=.. done=..}; when every guest has flushed
 * (or given up) prints {@code DONE ...} with the same keys; on {@code exit} shuts down.
 *
 * <p>Span {@code i} of guest {@code g} has index {@code g << 20 | i}, span id index+1, and belongs
 * to trace {@code MARK, g << 20 | i / 3}: traces span batches.
 */
public final class KafkaGuestsMain {

  static final int SPANS_PER_TRACE = 3;
  static final int GUEST_SHIFT = 20;

  private KafkaGuestsMain() {}

  static long index(long guest, long i) {
    return guest << GUEST_SHIFT | i;
  }

  static SpanData span(long guest, long i) {
    long index = index(guest, i);
    SpanContext context =
        SpanContext.create(
            String.format("%016x%016x", TestSpans.MARK, index(guest, i / SPANS_PER_TRACE)),
            String.format("%016x", index + 1),
            TraceFlags.getSampled(),
            TraceState.getDefault());
    return TestSpanData.builder()
        .setSpanContext(context)
        .setName("k-" + index)
        .setKind(SpanKind.INTERNAL)
        .setStartEpochNanos(1_700_000_000_000_000_000L + index)
        .setEndEpochNanos(1_700_000_000_000_001_000L + index)
        .setHasEnded(true)
        .setStatus(StatusData.unset())
        .setTotalRecordedEvents(0)
        .setTotalRecordedLinks(0)
        .build();
  }

  public static void main(String[] args) throws Exception {
    String endpoint = System.getProperty("guests.endpoint");
    int count = Integer.getInteger("guests.count");
    int firstId = Integer.getInteger("guests.firstId");
    int spans = Integer.getInteger("guests.spans");
    int batch = Integer.getInteger("guests.batch");
    long pause = Long.getLong("guests.pauseMillis", 0);
    List<Guests> guests = new ArrayList<>();
    AtomicLong exportFailures = new AtomicLong();
    AtomicLong unflushed = new AtomicLong();
    CountDownLatch done = new CountDownLatch(count);
    for (int g = 0; g < count; g++) {
      guests.add(
          new Guests(
              Guests.fastBuilder(java.nio.file.Path.of("unused"))
                  .setEndpoint(endpoint)
                  // the host stops reading while Kafka is away: no PING answer for that long
                  // must not count as a dead host, and the window holds every batch meanwhile
                  .setTimeout(Duration.ofSeconds(90))
                  // these guests reconnect every 200 ms at most, so the broker's restart is
                  // hundreds of refusals; they must ride it out, never give a batch up
                  .setMaxRefusals(1_000_000)
                  .setMaxInflightBatches(1024)
                  .setMaxInflightBytes(32L * 1024 * 1024)));
    }
    System.out.println("STARTED");
    System.out.flush();
    for (int g = 0; g < count; g++) {
      Guests guest = guests.get(g);
      long id = firstId + g;
      Thread t =
          new Thread(
              () -> {
                try {
                  for (int i = 0; i < spans; i += batch) {
                    int n = Math.min(batch, spans - i);
                    List<SpanData> data = new ArrayList<>(n);
                    for (int k = 0; k < n; k++) {
                      data.add(span(id, i + k));
                    }
                    if (!guest.exporter.export(data).isSuccess()) {
                      exportFailures.addAndGet(n);
                    }
                    if (pause > 0) {
                      Thread.sleep(pause);
                    }
                  }
                  if (!guest.flushFully(Duration.ofMinutes(4))) {
                    unflushed.incrementAndGet();
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                } finally {
                  done.countDown();
                }
              },
              "guest-" + id);
      t.setDaemon(true);
      t.start();
    }
    Thread reporter =
        new Thread(
            () -> {
              try {
                done.await();
                System.out.println("DONE " + stats(guests, exportFailures, unflushed, 0));
                System.out.flush();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "guests-done");
    reporter.setDaemon(true);
    reporter.start();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("stats")) {
        System.out.println(
            "STATS " + stats(guests, exportFailures, unflushed, count - done.getCount()));
        System.out.flush();
      } else if (line.equals("exit")) {
        break;
      }
    }
    for (Guests guest : guests) {
      guest.close();
    }
    System.exit(0);
  }

  private static String stats(
      List<Guests> guests, AtomicLong exportFailures, AtomicLong unflushed, long done) {
    long exported = 0;
    long acked = 0;
    long dropped = 0;
    for (Guests g : guests) {
      exported += g.exported();
      acked += g.acked();
      dropped += g.dropped();
    }
    return "exported="
        + exported
        + " acked="
        + acked
        + " dropped="
        + dropped
        + " exportFailures="
        + exportFailures.get()
        + " unflushed="
        + unflushed.get()
        + " done="
        + done;
  }
}

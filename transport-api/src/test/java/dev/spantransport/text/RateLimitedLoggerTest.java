package dev.spantransport.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RateLimitedLoggerTest {

  private final Logger base = Logger.getLogger(RateLimitedLoggerTest.class.getName() + ".logger");
  private final List<String> written = new CopyOnWriteArrayList<>();
  private final AtomicLong now = new AtomicLong(1_000);
  private final Handler handler =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          written.add(record.getMessage());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void capture() {
    base.setUseParentHandlers(false);
    base.addHandler(handler);
    base.setLevel(Level.INFO);
  }

  @AfterEach
  void release() {
    base.removeHandler(handler);
  }

  @Test
  void letsTheBurstThroughThenCountsWhatItSuppressedInTheNextPeriodsFirstRecord() {
    RateLimitedLogger logger = new RateLimitedLogger(base, 2, 60_000, now::get);
    for (int i = 1; i <= 5; i++) {
      logger.log(Level.WARNING, "m" + i);
    }
    assertEquals(List.of("m1", "m2"), written);

    now.addAndGet(TimeUnit.SECONDS.toNanos(60));
    logger.log(Level.WARNING, "m6");
    logger.log(Level.WARNING, "m7");
    assertEquals(List.of("m1", "m2", "m6 (3 similar messages suppressed)", "m7"), written);
  }

  @Test
  void escapesControlCharactersSoOneMessageIsOneLine() {
    new RateLimitedLogger(base, 5, 1_000, now::get)
        .log(Level.WARNING, "peer \u001b[2Jvm\nforged line");
    assertEquals(List.of("peer \\e[2Jvm\\nforged line"), written);
  }

  @Test
  void recordsBelowTheLoggersLevelNeitherPassNorSpendTheBurst() {
    RateLimitedLogger logger = new RateLimitedLogger(base, 1, 60_000, now::get);
    logger.log(Level.FINE, "hidden");
    logger.log(Level.WARNING, "shown");
    assertEquals(List.of("shown"), written);
  }

  @Test
  void rejectsBadSettingsNamingThem() {
    assertEquals(
        "burst must be at least 1: 0",
        assertThrows(IllegalArgumentException.class, () -> new RateLimitedLogger(base, 0, 1))
            .getMessage());
    assertEquals(
        "periodMillis must be at least 1: 0",
        assertThrows(IllegalArgumentException.class, () -> new RateLimitedLogger(base, 1, 0))
            .getMessage());
  }
}

package dev.spantransport.tests;

/**
 * Attacks on every guarantee span-transport makes, each against the real receiver (and, where the
 * guarantee is the forwarder's, the real forwarder): one test method per attack, named after it,
 * asserting exact counts. The attack fixtures live in {@code dev.spantransport.tests.adversity}.
 */
class AdversityIT {

  // 1. Identity spoofing through span, event and link attributes.

  // 2. Terminal and log injection.

  // 3. Duplicate delivery with a slow sink.

  // 4. Connections leaked after SINK_UNAVAILABLE with a full window.

  // 5. Permanent rejection resent forever.

  // 6. Slow loris.

  // 7. One VM takes every connection.

  // 8. Decode bombs.

  // 9. Socket-file permission race.

  // 10. Sustained load.

}

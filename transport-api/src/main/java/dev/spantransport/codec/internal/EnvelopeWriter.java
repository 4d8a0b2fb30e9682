package dev.spantransport.codec.internal;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import java.util.Arrays;

/**
 * Encodes the messages around the spans, OTLP's {@code Resource} and {@code InstrumentationScope}
 * with the {@code schema_url} fields that follow them, and keeps the bytes of the last few of each
 * by identity: the SDK hands the same few immutable objects over batch after batch, so they are
 * encoded once.
 *
 * <p>Only a new resource or scope allocates (its encoded bytes); a batch of known ones does not.
 *
 * <p>Not thread-safe; one per encoder. This class is internal and may change at any time.
 */
public final class EnvelopeWriter {
  private static final int CACHE_SIZE = 4;

  private static final byte TAG_1 = 0x0A;
  private static final byte TAG_2 = 0x12;
  private static final byte TAG_3 = 0x1A;
  private static final byte[] EMPTY = new byte[0];

  private final EncodeBuffer scratch = new EncodeBuffer(256);
  private final KeyValueWriter attributes =
      new KeyValueWriter(scratch, new AnyValueWriter(scratch), new KeyValueCache(16));

  private final Object[] resources = new Object[CACHE_SIZE];
  private final byte[][] resourceFields = new byte[CACHE_SIZE][];
  private final byte[][] resourceTails = new byte[CACHE_SIZE][];
  private int nextResource;

  private final Object[] scopes = new Object[CACHE_SIZE];
  private final byte[][] scopeFields = new byte[CACHE_SIZE][];
  private final byte[][] scopeTails = new byte[CACHE_SIZE][];
  private int nextScope;

  /** Returns the cache slot holding {@code resource}'s encoding, encoding it first if needed. */
  public int resource(Resource resource) {
    for (int i = 0; i < CACHE_SIZE; i++) {
      if (resources[i] == resource) {
        return i;
      }
    }
    int slot = nextResource;
    nextResource = (slot + 1) % CACHE_SIZE;
    // ResourceSpans.resource = 1 { Resource.attributes = 1 }
    resourceFields[slot] =
        field(TAG_1, attributes.writeAttributes(2, TAG_1, resource.getAttributes()));
    // ResourceSpans.schema_url = 3
    resourceTails[slot] = schemaUrl(resource.getSchemaUrl());
    resources[slot] = resource;
    return slot;
  }

  /** The {@code ResourceSpans.resource} field (tag, length, body) in {@code slot}. */
  public byte[] resourceField(int slot) {
    return resourceFields[slot];
  }

  /** The {@code ResourceSpans.schema_url} field in {@code slot}, or no bytes. */
  public byte[] resourceTail(int slot) {
    return resourceTails[slot];
  }

  /** Returns the cache slot holding {@code scope}'s encoding, encoding it first if needed. */
  public int scope(InstrumentationScopeInfo scope) {
    for (int i = 0; i < CACHE_SIZE; i++) {
      if (scopes[i] == scope) {
        return i;
      }
    }
    int slot = nextScope;
    nextScope = (slot + 1) % CACHE_SIZE;
    // ScopeSpans.scope = 1 { name = 1, version = 2, attributes = 3 }
    int p = 2;
    String name = scope.getName();
    if (!name.isEmpty()) {
      p = scratch.writeStringField(p, TAG_1, name);
    }
    String version = scope.getVersion();
    if (version != null && !version.isEmpty()) {
      p = scratch.writeStringField(p, TAG_2, version);
    }
    p = attributes.writeAttributes(p, TAG_3, scope.getAttributes());
    scopeFields[slot] = field(TAG_1, p);
    // ScopeSpans.schema_url = 3
    scopeTails[slot] = schemaUrl(scope.getSchemaUrl());
    scopes[slot] = scope;
    return slot;
  }

  /** The {@code ScopeSpans.scope} field (tag, length, body) in {@code slot}. */
  public byte[] scopeField(int slot) {
    return scopeFields[slot];
  }

  /** The {@code ScopeSpans.schema_url} field in {@code slot}, or no bytes. */
  public byte[] scopeTail(int slot) {
    return scopeTails[slot];
  }

  /** Encodes {@code attributes} as repeated KeyValue fields tagged 1, into a new array. */
  public byte[] attributeFields(Attributes attributes) {
    int end = this.attributes.writeAttributes(0, TAG_1, attributes);
    return Arrays.copyOf(scratch.array(), end);
  }

  /**
   * The body written to the scratch buffer from 2 to {@code end}, as a field tagged {@code tag}.
   */
  private byte[] field(byte tag, int end) {
    scratch.ensure(0, 2);
    int p = scratch.endMessage(2, 1, end);
    byte[] b = scratch.array();
    b[0] = tag;
    return Arrays.copyOf(b, p);
  }

  private byte[] schemaUrl(String schemaUrl) {
    if (schemaUrl == null || schemaUrl.isEmpty()) {
      return EMPTY;
    }
    int end = scratch.writeStringField(0, TAG_3, schemaUrl);
    return Arrays.copyOf(scratch.array(), end);
  }
}

package dev.spantransport.sink.internal;

import dev.spantransport.sink.SpanBatch;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.resources.Resource;

/**
 * Applies a guest's identity attributes to a decoded {@link Resource}: removes every attribute
 * under {@link SpanBatch#PEER_ATTRIBUTE_PREFIX}, then puts the identity attributes, which overwrite
 * same-named ones.
 *
 * <p>This class is internal and may change without notice.
 */
public final class GuestResources {

  private GuestResources() {}

  /**
   * Returns {@code resource} tagged with {@code identity}.
   *
   * @param resource the resource the guest sent
   * @param identity the transport-derived identity
   * @return the tagged resource
   */
  public static Resource tag(Resource resource, Attributes identity) {
    return resource.toBuilder()
        .removeIf(key -> isReservedKey(key.getKey()))
        .putAll(identity)
        .build();
  }

  /**
   * Returns whether a payload attribute key is reserved for transport identity and must be removed.
   *
   * @param key an attribute key
   * @return true if the key starts with {@link SpanBatch#PEER_ATTRIBUTE_PREFIX}
   */
  public static boolean isReservedKey(String key) {
    return key.startsWith(SpanBatch.PEER_ATTRIBUTE_PREFIX);
  }
}

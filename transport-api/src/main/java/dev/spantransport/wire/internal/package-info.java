/**
 * Helpers of the wire protocol implementation.
 *
 * <p>This package is internal and is hence not for public use. Its APIs are unstable and can change
 * at any time.
 */
package dev.spantransport.wire.internal;

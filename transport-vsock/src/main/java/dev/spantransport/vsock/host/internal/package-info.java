/** Receiver internals: connection state, receive loop, memory budget. Internal, may change. */
package dev.spantransport.vsock.host.internal;

/** Internal classes of the Kata agent decoder: internal, may change at any time. */
package dev.spantransport.forwarder.kata.internal;

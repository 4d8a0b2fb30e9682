/**
 * Text from guests made safe to print: {@link dev.spantransport.text.SafeText#escape} turns control
 * characters into visible escapes before a guest-supplied string reaches a terminal or a log line,
 * and {@link dev.spantransport.text.RateLimitedLogger} logs through it at a bounded rate.
 */
package dev.spantransport.text;

/**
 * Text from guests made safe to print: {@link dev.spantransport.text.SafeText#escape} turns control
 * characters into visible escapes before a guest-supplied string reaches a terminal or a log line.
 */
package dev.spantransport.text;

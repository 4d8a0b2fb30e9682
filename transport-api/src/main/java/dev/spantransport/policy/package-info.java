/**
 * What may leave a guest, and what a host keeps of it: an {@link
 * dev.spantransport.policy.AttributePolicy} allow-lists, deny-lists, redacts, hashes and caps
 * attribute values and rewrites span names, on the guest before bytes leave the VM and on the host
 * per guest. Parameters are non-null unless a method says otherwise.
 */
package dev.spantransport.policy;

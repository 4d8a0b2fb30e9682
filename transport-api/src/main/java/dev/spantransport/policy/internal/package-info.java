/** How an {@code AttributePolicy} decides and rewrites. Internal: may change without notice. */
package dev.spantransport.policy.internal;

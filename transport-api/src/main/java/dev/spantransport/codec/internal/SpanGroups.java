package dev.spantransport.codec.internal;

import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;

/**
 * Groups a batch of spans the way an OTLP request nests them: by {@link Resource}, then by {@link
 * InstrumentationScopeInfo}, both by identity like OpenTelemetry's own marshalers. Resources keep
 * the order in which they are first seen, and so do the scopes within a resource; spans keep their
 * order within their group.
 *
 * <p>All tables are kept and reused: grouping a batch no larger than an earlier one allocates
 * nothing. Not thread-safe; one per encoder. This class is internal and may change at any time.
 */
public final class SpanGroups {
  private SpanData[] input = new SpanData[64];
  private SpanData[] ordered = new SpanData[64];
  private int[] spanGroup = new int[64];
  private int spanCount;

  private final IdentityIntMap resourceIndex = new IdentityIntMap(8);
  private final IdentityIntMap scopeFirstGroup = new IdentityIntMap(8);
  private Resource[] resources = new Resource[4];
  private int[] resourceGroupStart = new int[5];
  private int resourceCount;

  private InstrumentationScopeInfo[] groupScope = new InstrumentationScopeInfo[4];
  private int[] groupResource = new int[4];
  private int[] groupNextSameScope = new int[4];
  private int[] groupSpanCount = new int[4];
  private int[] groupSpanStart = new int[4];
  private int[] groupFill = new int[4];
  private int[] groupOrder = new int[4];
  private int groupCount;

  /** Reads and groups {@code spans}, replacing the previous batch. */
  public void group(Collection<SpanData> spans) {
    collect(spans);
    index();
  }

  /** Drops the references to the spans of the batch, keeping the tables. */
  public void releaseSpans() {
    Arrays.fill(ordered, 0, spanCount, null);
  }

  /** Number of spans in the batch. */
  public int spanCount() {
    return spanCount;
  }

  /** Number of distinct resources, in the order they were first seen. */
  public int resourceCount() {
    return resourceCount;
  }

  /** Resource {@code r}. */
  public Resource resource(int r) {
    return resources[r];
  }

  /** Number of (resource, scope) groups. */
  public int groupCount() {
    return groupCount;
  }

  /** Positions in {@link #groupAt} of resource {@code r}'s groups: from here ... */
  public int firstGroupPosition(int r) {
    return resourceGroupStart[r];
  }

  /** ... to here, exclusive. */
  public int endGroupPosition(int r) {
    return resourceGroupStart[r + 1];
  }

  /** The group at {@code position} in request order (by resource, then by first sight). */
  public int groupAt(int position) {
    return groupOrder[position];
  }

  /** Scope of group {@code g}. */
  public InstrumentationScopeInfo scope(int g) {
    return groupScope[g];
  }

  /** Index of group {@code g}'s first span in {@link #span}. */
  public int firstSpan(int g) {
    return groupSpanStart[g];
  }

  /** Number of spans in group {@code g}. */
  public int groupSpanCount(int g) {
    return groupSpanCount[g];
  }

  /** Span {@code i} in grouped order. */
  public SpanData span(int i) {
    return ordered[i];
  }

  private void collect(Collection<SpanData> spans) {
    int n = spans.size();
    if (input.length < n) {
      int capacity = Math.max(n, input.length * 2);
      input = new SpanData[capacity];
      ordered = new SpanData[capacity];
      spanGroup = new int[capacity];
    } else if (spanCount > n) {
      // drop references to the spans of an earlier, larger batch
      Arrays.fill(ordered, n, spanCount, null);
    }
    if (spans instanceof List && spans instanceof RandomAccess) {
      List<SpanData> list = (List<SpanData>) spans;
      for (int i = 0; i < n; i++) {
        input[i] = Objects.requireNonNull(list.get(i), "span");
      }
    } else {
      int i = 0;
      for (SpanData span : spans) {
        if (i == n) {
          throw new IllegalArgumentException("spans changed size while being read");
        }
        input[i++] = Objects.requireNonNull(span, "span");
      }
      n = i;
    }
    spanCount = n;
  }

  private void index() {
    resourceIndex.clear();
    scopeFirstGroup.clear();
    Arrays.fill(resources, 0, resourceCount, null);
    Arrays.fill(groupScope, 0, groupCount, null);
    resourceCount = 0;
    groupCount = 0;
    Resource lastResource = null;
    InstrumentationScopeInfo lastScope = null;
    int lastGroup = -1;
    for (int i = 0; i < spanCount; i++) {
      SpanData span = input[i];
      Resource resource = span.getResource();
      InstrumentationScopeInfo scope = span.getInstrumentationScopeInfo();
      int g;
      if (resource == lastResource && scope == lastScope && lastGroup >= 0) {
        g = lastGroup;
      } else {
        g = findOrAddGroup(resource, scope);
        lastResource = resource;
        lastScope = scope;
        lastGroup = g;
      }
      spanGroup[i] = g;
      groupSpanCount[g]++;
    }
    if (groupCount == 1) {
      // The common batch, one resource and one scope: the spans are already in order.
      resourceGroupStart[0] = 0;
      resourceGroupStart[1] = 1;
      groupOrder[0] = 0;
      groupSpanStart[0] = 0;
      SpanData[] spans = input;
      input = ordered; // holds no span: released after the previous batch, or never used
      ordered = spans;
      return;
    }
    // Order groups by resource (first seen), then by first sight within the resource.
    Arrays.fill(resourceGroupStart, 0, resourceCount + 1, 0);
    for (int g = 0; g < groupCount; g++) {
      resourceGroupStart[groupResource[g] + 1]++;
    }
    for (int r = 0; r < resourceCount; r++) {
      resourceGroupStart[r + 1] += resourceGroupStart[r];
    }
    // groupFill doubles as the per-resource fill counter here.
    Arrays.fill(groupFill, 0, Math.max(resourceCount, groupCount), 0);
    for (int g = 0; g < groupCount; g++) {
      int r = groupResource[g];
      groupOrder[resourceGroupStart[r] + groupFill[r]++] = g;
    }
    int start = 0;
    for (int k = 0; k < groupCount; k++) {
      int g = groupOrder[k];
      groupSpanStart[g] = start;
      start += groupSpanCount[g];
    }
    Arrays.fill(groupFill, 0, Math.max(resourceCount, groupCount), 0);
    for (int i = 0; i < spanCount; i++) {
      int g = spanGroup[i];
      ordered[groupSpanStart[g] + groupFill[g]++] = input[i];
      input[i] = null;
    }
  }

  private int findOrAddGroup(Resource resource, InstrumentationScopeInfo scope) {
    int r = resourceIndex.get(resource);
    if (r < 0) {
      r = resourceCount++;
      if (r == resources.length) {
        resources = Arrays.copyOf(resources, r * 2);
      }
      if (resourceCount + 1 > resourceGroupStart.length) {
        resourceGroupStart = Arrays.copyOf(resourceGroupStart, resourceGroupStart.length * 2);
      }
      resources[r] = resource;
      resourceIndex.put(resource, r);
    }
    int head = scopeFirstGroup.get(scope);
    for (int g = head; g >= 0; g = groupNextSameScope[g]) {
      if (groupResource[g] == r) {
        return g;
      }
    }
    int g = groupCount++;
    if (g == groupScope.length) {
      int capacity = g * 2;
      groupScope = Arrays.copyOf(groupScope, capacity);
      groupResource = Arrays.copyOf(groupResource, capacity);
      groupNextSameScope = Arrays.copyOf(groupNextSameScope, capacity);
      groupSpanCount = Arrays.copyOf(groupSpanCount, capacity);
      groupSpanStart = Arrays.copyOf(groupSpanStart, capacity);
      groupFill = Arrays.copyOf(groupFill, capacity);
      groupOrder = Arrays.copyOf(groupOrder, capacity);
    }
    if (resourceCount > groupFill.length) {
      groupFill = Arrays.copyOf(groupFill, Math.max(resourceCount, groupFill.length * 2));
    }
    groupScope[g] = scope;
    groupResource[g] = r;
    groupSpanCount[g] = 0;
    groupNextSameScope[g] = head;
    if (head >= 0) {
      // keep the chain head; insert after it so lookups stay cheap
      groupNextSameScope[g] = groupNextSameScope[head];
      groupNextSameScope[head] = g;
    } else {
      scopeFirstGroup.put(scope, g);
    }
    return g;
  }
}

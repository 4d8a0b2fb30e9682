package dev.spantransport.vsock.vm;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GuestOnlyTest {

  @Test
  void acceptsKernelCommandLineWithMarker() {
    assertDoesNotThrow(
        () ->
            GuestOnly.require(
                "console=ttyS0 quiet panic=-1 spantransport.vm_harness=1 spantransport.run=/x\n"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "console=ttyS0 quiet",
        "spantransport.vm_harness=0",
        "xspantransport.vm_harness=1",
        "spantransport.vm_harness=10",
        "spantransport.run=spantransport.vm_harness=1"
      })
  void refusesWithoutMarker(String cmdline) {
    assertThrows(IllegalStateException.class, () -> GuestOnly.require(cmdline));
  }

  @Test
  void refusesOnThisBuildMachine() {
    // The build machine's kernel command line never carries the harness marker.
    assertThrows(IllegalStateException.class, GuestOnly::require);
  }
}

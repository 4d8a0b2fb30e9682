package dev.spantransport.vsock.vm;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Boots a throwaway QEMU guest (TCG, no KVM) that runs one Java main class of this build with real
 * AF_VSOCK: Debian's kernel, a tiny initramfs with the vsock_loopback, 9p and virtio modules
 * ({@code src/test/vm/build-guest.sh}), and the host's root mounted read-only over 9p, so the guest
 * runs the host's JDK on this JVM's class path.
 *
 * <p>The guest has no network ({@code -nic none}) and no vsock device: AF_VSOCK traffic stays
 * inside the guest kernel (CID 1, {@code VMADDR_CID_LOCAL}). The kernel command line carries {@link
 * GuestOnly#MARKER}, which guest programs check before they connect. Output comes back on the
 * serial console.
 */
public final class GuestVm {

  /** Thrown when the guest cannot be built on this machine (missing packages, other arch). */
  public static final class UnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    UnavailableException(String message) {
      super(message);
    }
  }

  /**
   * What the guest printed and how it ended.
   *
   * @param exitCode QEMU's exit code
   * @param console everything on the serial console
   * @param wall wall time of the QEMU run
   */
  public record Result(
      int exitCode, String console, Duration wall, boolean paused, String pauseError) {
    /**
     * Returns the console lines that start with the prefix (escape sequences before it dropped).
     *
     * @param prefix e.g. {@link GuestVsockEcho#RESULT}
     * @return matching lines, from the prefix on
     */
    public List<String> lines(String prefix) {
      return console
          .lines()
          .filter(l -> l.contains(prefix))
          .map(l -> l.substring(l.indexOf(prefix)).strip())
          .collect(Collectors.toList());
    }
  }

  private final Path workDir;
  private final Path kernel;
  private final Path initramfs;

  private GuestVm(Path workDir) {
    this.workDir = workDir;
    this.kernel = workDir.resolve("vmlinuz");
    this.initramfs = workDir.resolve("initramfs.cpio.gz");
  }

  /**
   * Builds (or reuses) the kernel and initramfs under {@code workDir}.
   *
   * @param moduleDir the transport-vsock module directory (holds {@code src/test/vm})
   * @param workDir where the kernel, initramfs and guest scripts go, e.g. {@code target/vm}
   * @return the harness
   * @throws UnavailableException if the guest cannot be built here; the message says why
   */
  public static GuestVm prepare(Path moduleDir, Path workDir)
      throws IOException, InterruptedException, UnavailableException {
    if (!"Linux".equals(System.getProperty("os.name"))
        || !"amd64".equals(System.getProperty("os.arch"))) {
      throw new UnavailableException(
          "needs Linux on x86_64 (the guest runs this JVM's JDK); this is "
              + System.getProperty("os.name")
              + "/"
              + System.getProperty("os.arch"));
    }
    Files.createDirectories(workDir);
    Path script = moduleDir.resolve("src/test/vm/build-guest.sh");
    Process p =
        new ProcessBuilder("bash", script.toString(), workDir.toString())
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(15, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException("build-guest.sh did not finish in 15 minutes:\n" + out);
    }
    if (p.exitValue() == 3) {
      throw new UnavailableException(out.strip());
    }
    if (p.exitValue() != 0) {
      throw new IOException("build-guest.sh failed with exit " + p.exitValue() + ":\n" + out);
    }
    return new GuestVm(workDir);
  }

  /**
   * Boots the guest and runs {@code java -cp <this JVM's class path> mainClass args...} in it.
   *
   * @param name names the guest script under the work directory
   * @param mainClass the guest program; it must check {@link GuestOnly#require()} before it
   *     connects AF_VSOCK
   * @param args its arguments (no spaces or shell characters)
   * @param timeout the longest the whole VM run may take; it is killed after that
   * @return the console and exit code
   */
  public Result run(String name, String mainClass, List<String> args, Duration timeout)
      throws IOException, InterruptedException {
    return run(name, mainClass, args, timeout, null, null);
  }

  /**
   * Like {@link #run(String, String, List, Duration)}, and when the console shows {@code
   * pauseMarker} the whole VM is paused through QEMU's QMP ({@code stop}) for {@code pause}, then
   * resumed ({@code cont}): what a platform does to freeze a microVM. {@link Result#paused()} says
   * whether it happened.
   */
  public Result run(
      String name,
      String mainClass,
      List<String> args,
      Duration timeout,
      String pauseMarker,
      Duration pause)
      throws IOException, InterruptedException {
    Objects.requireNonNull(mainClass, "mainClass");
    Path guestScript = writeGuestScript(name, mainClass, args);
    List<String> cmd =
        List.of(
            "qemu-system-x86_64",
            "-accel",
            "tcg,thread=multi",
            "-smp",
            "1",
            "-m",
            "1024",
            "-cpu",
            "qemu64",
            "-nographic",
            "-no-reboot",
            "-nic",
            "none",
            "-kernel",
            kernel.toString(),
            "-initrd",
            initramfs.toString(),
            "-append",
            "console=ttyS0 quiet panic=-1 "
                + GuestOnly.MARKER
                + " spantransport.run="
                + guestScript.toAbsolutePath(),
            "-virtfs",
            "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap");
    Path log = workDir.resolve(name + ".console.log");
    Path qmp = workDir.resolve(name + ".qmp");
    Files.deleteIfExists(qmp);
    if (pauseMarker != null) {
      cmd = new ArrayList<>(cmd);
      cmd.add("-qmp");
      cmd.add("unix:" + qmp + ",server=on,wait=off");
    }
    long start = System.nanoTime();
    Process qemu =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
    qemu.getOutputStream().close();
    Pauser pauser = null;
    if (pauseMarker != null) {
      pauser = new Pauser(log, qmp, pauseMarker, pause, qemu);
      pauser.start();
    }
    boolean finished = qemu.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (pauser != null) {
      pauser.interrupt();
      pauser.join(10_000);
    }
    if (!finished) {
      qemu.destroyForcibly();
      qemu.waitFor(10, TimeUnit.SECONDS);
    }
    Duration wall = Duration.ofNanos(System.nanoTime() - start);
    String console = Files.readString(log, StandardCharsets.ISO_8859_1);
    if (!finished) {
      throw new IOException("guest VM did not finish within " + timeout + "; console:\n" + console);
    }
    return new Result(
        qemu.exitValue(),
        console,
        wall,
        pauser != null && pauser.resumed,
        pauser == null ? null : pauser.error);
  }

  /**
   * Watches the console for the marker, then sends QMP {@code stop}, waits, and sends {@code cont}
   * over QEMU's own monitor socket (a Unix socket file of this test, not a vsock).
   */
  private static final class Pauser extends Thread {
    final Path log;
    final Path qmp;
    final String marker;
    final Duration pause;
    final Process qemu;
    volatile boolean resumed;
    volatile String error;

    Pauser(Path log, Path qmp, String marker, Duration pause, Process qemu) {
      super("qmp-pauser");
      setDaemon(true);
      this.log = log;
      this.qmp = qmp;
      this.marker = marker;
      this.pause = pause;
      this.qemu = qemu;
    }

    @Override
    public void run() {
      try {
        while (qemu.isAlive()
            && !Files.readString(log, StandardCharsets.ISO_8859_1).contains(marker)) {
          Thread.sleep(50);
        }
        if (!qemu.isAlive()) {
          error = "QEMU ended before " + marker;
          return;
        }
        try (java.nio.channels.SocketChannel monitor =
            java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(qmp))) {
          java.io.BufferedReader in =
              new java.io.BufferedReader(
                  new java.io.InputStreamReader(
                      java.nio.channels.Channels.newInputStream(monitor), StandardCharsets.UTF_8));
          in.readLine(); // greeting
          command(monitor, in, "qmp_capabilities");
          command(monitor, in, "stop");
          Thread.sleep(pause.toMillis());
          command(monitor, in, "cont");
          resumed = true;
        }
      } catch (IOException e) {
        error = e.toString();
      } catch (InterruptedException e) {
        error = "interrupted";
      }
    }

    private static void command(
        java.nio.channels.SocketChannel monitor, java.io.BufferedReader in, String command)
        throws IOException {
      monitor.write(
          java.nio.ByteBuffer.wrap(
              ("{\"execute\":\"" + command + "\"}\n").getBytes(StandardCharsets.UTF_8)));
      String reply;
      do {
        reply = in.readLine();
        if (reply == null) {
          throw new IOException("QMP closed after " + command);
        }
      } while (reply.contains("\"event\"")); // STOP/RESUME events come before or after returns
      if (!reply.contains("\"return\"")) {
        throw new IOException("QMP " + command + " failed: " + reply);
      }
    }
  }

  private Path writeGuestScript(String name, String mainClass, List<String> args)
      throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> line = new ArrayList<>();
    line.add("exec");
    line.add(java);
    line.addAll(
        List.of(
            "-Xshare:auto",
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-XX:-UsePerfData",
            "-Xmx256m",
            "-Djava.io.tmpdir=/dev/shm",
            "-cp",
            classPath(),
            mainClass));
    line.addAll(args);
    String script =
        "#!/bin/sh\n"
            + "# Written by GuestVm; runs inside the guest VM only.\n"
            + "cd /dev/shm\n"
            + line.stream().map(GuestVm::quote).collect(Collectors.joining(" "))
            + "\n";
    Path file = workDir.resolve(name + ".sh");
    Files.writeString(file, script, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  /**
   * This JVM's class path, as absolute paths (the guest sees the host's files at the same paths).
   */
  static String classPath() {
    return List.of(System.getProperty("java.class.path").split(File.pathSeparator)).stream()
        .filter(s -> !s.isEmpty())
        .map(s -> Path.of(s).toAbsolutePath().toString())
        .collect(Collectors.joining(File.pathSeparator));
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}

package io.snupkg.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A raw HTTP/1.1 connection for protocol edge cases: exact bytes out, status lines and headers read by hand. */
public final class RawHttp implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public RawHttp(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    socket.setSendBufferSize(64 * 1024);
    socket.setTcpNoDelay(true);
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  /** A response head: the status line split up, and the headers (names lowercased). */
  public record Head(int status, String reason, Map<String, String> headers) {}

  public RawHttp write(String text) throws IOException {
    return write(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  public RawHttp write(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  /** One chunk of a chunked body. */
  public RawHttp chunk(byte[] bytes) throws IOException {
    out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return this;
  }

  public RawHttp lastChunk() throws IOException {
    return write("0\r\n\r\n");
  }

  /** Whether response bytes are waiting to be read. */
  public boolean responseArrived() throws IOException {
    return in.available() > 0;
  }

  public Head readHead() throws IOException {
    String statusLine = readLine();
    String[] parts = statusLine.split(" ", 3);
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line = readLine(); !line.isEmpty(); line = readLine()) {
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
    }
    return new Head(Integer.parseInt(parts[1]), parts.length > 2 ? parts[2] : "", headers);
  }

  /** Reads a response body of the Content-Length the head announced. */
  public String readBody(Head head) throws IOException {
    int length = Integer.parseInt(head.headers().getOrDefault("content-length", "0"));
    return new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  /** True if the server closed the connection (end of stream or reset) within the read timeout. */
  public boolean closedByServer() {
    try {
      return in.read() == -1;
    } catch (IOException e) {
      return true;
    }
  }

  private String readLine() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != -1) {
      if (b == '\n') {
        break;
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    if (b == -1 && line.size() == 0) {
      throw new IOException("connection closed before a complete line");
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}

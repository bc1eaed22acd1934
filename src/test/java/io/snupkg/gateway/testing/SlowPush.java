package io.snupkg.gateway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A push as nuget.exe frames it (chunked multipart) over a raw socket, in pieces with a pause after each: an
 * upload that is still under way when the test stops, kills or drains the gateway.
 */
public final class SlowPush {
  private SlowPush() {}

  /**
   * @param piece the multipart body's bytes per chunk
   * @param afterFirstPiece run once the first chunk is written (the upload has started)
   * @return the status line, or {@code failed: <exception>} when the connection broke
   */
  public static String push(int port, String path, String apiKey, byte[] file, int piece, long pauseMillis,
      Runnable afterFirstPiece) {
    Multipart multipart = new Multipart();
    byte[] body = multipart.wrap(file);
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      out.write(("PUT " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-NuGet-ApiKey: " + apiKey
          + "\r\nContent-Type: " + multipart.contentType() + "\r\nTransfer-Encoding: chunked\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      for (int offset = 0; offset < body.length; offset += piece) {
        byte[] chunk = Arrays.copyOfRange(body, offset, Math.min(body.length, offset + piece));
        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(chunk);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        if (offset == 0) {
          afterFirstPiece.run();
        }
        Thread.sleep(pauseMillis);
      }
      out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return statusLine(socket.getInputStream());
    } catch (IOException | InterruptedException e) {
      return "failed: " + e;
    }
  }

  private static String statusLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != -1 && c != '\r'; c = in.read()) {
      line.append((char) c);
    }
    return line.toString();
  }
}

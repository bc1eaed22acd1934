package io.snupkg.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A push as {@code dotnet nuget push} (NuGet 6.8 to 7.x, SocketsHttpHandler) puts it on the wire, byte for byte, from
 * NuGet.Client's source: the header order .NET writes ({@code Host} first, then the request headers in insertion
 * order, then the content headers), the values NuGet sets, and the body as {@code MultipartFormDataContent} writes
 * it, one chunk per write with uppercase hex sizes (28 / 90 / the file in pieces of at most 81,920 bytes / 2C / 0).
 * nuget.exe 5.8 under mono sends the same body with {@code Host} last, which {@link #hostLast()} gives.
 */
public final class ModernClient {
  public static final String UA_6_8 = "NuGet xplat/6.8.0 (Linux 6.5.0-1025-azure \\(buildd@lcy02-amd64-047\\) #26 SMP)";
  public static final String UA_6_12 = "NuGet xplat/6.12.1 (LINUX)";
  public static final String UA_7_0 = "NuGet xplat/7.0.0 (LINUX)";
  /** {@code Stream.CopyToAsync}'s largest buffer: a file above it arrives in several chunks. */
  public static final int COPY_BUFFER = 81_920;

  private String userAgent = UA_6_12;
  private String acceptLanguage = "en-US";
  private boolean hostFirst = true;
  private final String sessionId = UUID.randomUUID().toString();

  /** Without {@code Accept-Language}: the invariant culture (CI images with {@code LANG=C.UTF-8}). */
  public ModernClient noAcceptLanguage() {
    this.acceptLanguage = null;
    return this;
  }

  public ModernClient userAgent(String userAgent) {
    this.userAgent = userAgent;
    return this;
  }

  /** {@code Host} after {@code Content-Type}, as mono's HttpWebRequest writes it (nuget.exe 5.8). */
  public ModernClient hostLast() {
    this.hostFirst = false;
    return this;
  }

  /** The X-NuGet-Client-Version that goes with the User-Agent: {@code 6.12.1} from {@code NuGet xplat/6.12.1 (...)}. */
  private String clientVersion() {
    int slash = userAgent.indexOf('/');
    return userAgent.substring(slash + 1, userAgent.indexOf(' ', slash));
  }

  /**
   * The whole PUT: head and chunked multipart body. Each call has a new boundary, as each try of the client has;
   * the session id stays, as it does across the retries of one PUT.
   *
   * @param path {@code /api/v2/package/} or {@code /api/v2/symbolpackage/}
   * @param apiKey null for none (the client then sends no header)
   */
  public byte[] put(int port, String path, String apiKey, byte[] file) {
    String boundary = UUID.randomUUID().toString();
    List<String> headers = new ArrayList<>();
    String host = "Host: 127.0.0.1:" + port;
    if (hostFirst) {
      headers.add(host);
    }
    headers.add("Transfer-Encoding: chunked");
    if (apiKey != null) {
      headers.add("X-NuGet-ApiKey: " + apiKey);
    }
    headers.add("X-NuGet-Session-Id: " + sessionId);
    headers.add("User-Agent: " + userAgent);
    headers.add("X-NuGet-Client-Version: " + clientVersion());
    if (acceptLanguage != null) {
      headers.add("Accept-Language: " + acceptLanguage);
    }
    headers.add("Accept-Encoding: gzip, deflate");
    headers.add("Content-Type: multipart/form-data; boundary=\"" + boundary + "\"");
    if (!hostFirst) {
      headers.add(host);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(file.length + 1024);
    write(out, "PUT " + path + " HTTP/1.1\r\n" + String.join("\r\n", headers) + "\r\n\r\n");
    chunk(out, ("--" + boundary + "\r\n").getBytes(StandardCharsets.US_ASCII));
    chunk(out, ("Content-Type: application/octet-stream\r\nContent-Disposition: form-data; name=package; "
        + "filename=package.nupkg; filename*=utf-8''package.nupkg\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    for (int offset = 0; offset < file.length; offset += COPY_BUFFER) {
      int length = Math.min(COPY_BUFFER, file.length - offset);
      byte[] piece = new byte[length];
      System.arraycopy(file, offset, piece, 0, length);
      chunk(out, piece);
    }
    chunk(out, ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    write(out, "0\r\n\r\n");
    return out.toByteArray();
  }

  /** Writes a whole request, then reads the answer's head and body, as SocketsHttpHandler does. */
  public static RawHttp.Head exchange(int port, byte[] request) throws java.io.IOException {
    try (RawHttp raw = new RawHttp(port)) {
      raw.write(request);
      RawHttp.Head head = raw.readHead();
      raw.readBody(head);
      return head;
    }
  }

  private static void chunk(ByteArrayOutputStream out, byte[] data) {
    write(out, Integer.toHexString(data.length).toUpperCase(java.util.Locale.ROOT) + "\r\n");
    out.writeBytes(data);
    write(out, "\r\n");
  }

  private static void write(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
  }
}

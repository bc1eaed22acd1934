package io.snupkg.gateway.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** The multipart body exactly as nuget.exe frames a push: quoted GUID boundary, unquoted parameters, one part. */
public final class Multipart {
  public final String boundary = UUID.randomUUID().toString();

  public String contentType() {
    return "multipart/form-data; boundary=\"" + boundary + "\"";
  }

  public byte[] head() {
    return ("--" + boundary + "\r\n"
        + "Content-Type: application/octet-stream\r\n"
        + "Content-Disposition: form-data; name=package; filename=package.nupkg; filename*=utf-8''package.nupkg\r\n"
        + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  public byte[] tail() {
    return ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  public byte[] wrap(byte[] file) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(head());
    out.writeBytes(file);
    out.writeBytes(tail());
    return out.toByteArray();
  }
}

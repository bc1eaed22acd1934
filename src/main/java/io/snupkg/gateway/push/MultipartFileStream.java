package io.snupkg.gateway.push;

import io.snupkg.gateway.http.Rejection;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.function.LongPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes a {@code multipart/form-data} body as it arrives and writes the content of its first file part (a part
 * whose Content-Disposition has a {@code filename}) to a delegate; other parts, the preamble and the epilogue are
 * dropped. Backpressure is the delegate's. Memory per upload is bounded: part headers up to {@link #MAX_HEADERS}
 * bytes, and a hold-back shorter than the delimiter while streaming a part.
 *
 * <p>Hand-written rather than Vert.x's {@code setExpectMultipart}/{@code uploadHandler}: Netty's multipart decoder
 * underneath keeps a CR that ends one network read just before the closing delimiter as file content
 * (netty/netty#17383, open for Netty 4.2.10), so a valid package would now and then be stored one byte longer and
 * refused as a broken zip; it also copies every chunk twice. The format needed here (RFC 2046 §5.1.1, one file
 * part as the NuGet client sends it) is small.
 *
 * <p>Malformed bodies fail the write with a 400 {@link Rejection}; {@link #end()} fails with a 400 when the body
 * ended before the file part was complete or before the closing delimiter.
 */
final class MultipartFileStream extends ForwardingWriteStream {
  static final int MAX_HEADERS = 16 * 1024;
  private static final int MAX_DELIMITER_LINE = 1024;
  private static final Pattern BOUNDARY =
      Pattern.compile("(?i)^multipart/form-data\\s*;(?:.*;)?\\s*boundary\\s*=\\s*(?:\"([^\"]{1,70})\"|([^\";\\s]{1,70}))");
  private static final Pattern FILENAME = Pattern.compile("(?i);\\s*filename\\*?\\s*=");
  private static final byte[] CRLF = {'\r', '\n'};
  private static final BytePattern LINE_END = new BytePattern(CRLF);

  private enum State { SKIP_PART, FILE_PART, AFTER_DELIMITER, HEADERS, EPILOGUE }

  private final LongPredicate admit;
  private final String what;
  private final BytePattern delimiter;
  private State state = State.SKIP_PART;
  /** The bytes of a part that might be the start of the delimiter: not yet known to be content. */
  private Buffer holdBack = Buffer.buffer(CRLF); // lets a body that starts with "--boundary" match "\r\n--boundary"
  /** A delimiter line or part headers being collected. */
  private Buffer line = Buffer.buffer();
  private long received;
  private boolean fileStarted;
  private boolean fileDone;

  /**
   * @param admit told the running count of request bytes before each chunk is taken; {@code false} stops the
   *     transfer (the owner enforces its size limit there)
   */
  MultipartFileStream(String boundary, WriteStream<Buffer> delegate, LongPredicate admit, String what) {
    super(delegate);
    this.admit = admit;
    this.what = what;
    this.delimiter = new BytePattern(("\r\n--" + boundary).getBytes(StandardCharsets.US_ASCII));
  }

  /** The boundary of a {@code multipart/form-data} Content-Type, quoted or not; empty if it has none. */
  static Optional<String> boundary(String contentType) {
    Matcher m = BOUNDARY.matcher(contentType.trim());
    return m.find() ? Optional.of(m.group(1) != null ? m.group(1) : m.group(2)) : Optional.empty();
  }

  @Override
  public Future<Void> write(Buffer data) {
    received += data.length();
    if (!admit.test(received)) {
      return refuse(new IllegalStateException("refused: over the size limit"));
    }
    try {
      return process(data);
    } catch (Rejection r) {
      return refuse(r);
    }
  }

  private Future<Void> process(Buffer data) {
    Future<Void> last = Future.succeededFuture();
    Buffer input = data;
    while (input != null && input.length() > 0) {
      switch (state) {
        case SKIP_PART, FILE_PART -> {
          Scan scan = scanPart(input);
          last = scan.written;
          input = scan.rest;
        }
        case AFTER_DELIMITER -> input = afterDelimiter(input);
        case HEADERS -> input = headers(input);
        case EPILOGUE -> input = null;
        default -> throw new IllegalStateException(state.name());
      }
    }
    return last;
  }

  private record Scan(Future<Void> written, Buffer rest) {}

  /** Passes part content on (or drops it) up to the delimiter; returns what follows the delimiter, if seen. */
  private Scan scanPart(Buffer input) {
    boolean keep = state == State.FILE_PART;
    Future<Void> written = Future.succeededFuture();
    int delimiterLength = delimiter.length();
    if (holdBack.length() > 0 && input.length() < delimiterLength) {
      // Too short to settle what was held back: both together are still shorter than two delimiters.
      input = holdBack.copy().appendBuffer(input);
      holdBack = Buffer.buffer();
    }
    // A delimiter that starts in the held-back bytes: search them plus just enough of the new input.
    if (holdBack.length() > 0) {
      Buffer junction = holdBack.copy().appendBuffer(input, 0, Math.min(input.length(), delimiterLength - 1));
      int at = delimiter.indexOf(junction);
      if (at >= 0 && at < holdBack.length()) {
        if (keep && at > 0) {
          written = delegate.write(holdBack.slice(0, at));
        }
        int consumed = at + delimiterLength - holdBack.length();
        holdBack = Buffer.buffer();
        return new Scan(written, delimiterSeen(input.slice(consumed, input.length())));
      }
      if (keep) {
        written = delegate.write(holdBack);
      }
      holdBack = Buffer.buffer();
    }
    int at = delimiter.indexOf(input);
    if (at >= 0) {
      if (keep && at > 0) {
        written = delegate.write(input.slice(0, at));
      }
      return new Scan(written, delimiterSeen(input.slice(at + delimiterLength, input.length())));
    }
    int safe = Math.max(0, input.length() - (delimiterLength - 1));
    if (keep && safe > 0) {
      written = delegate.write(input.slice(0, safe));
    }
    holdBack = input.getBuffer(safe, input.length()); // a copy: the input's memory may be reused
    return new Scan(written, null);
  }

  private Buffer delimiterSeen(Buffer rest) {
    if (state == State.FILE_PART) {
      fileDone = true;
    }
    state = State.AFTER_DELIMITER;
    line = Buffer.buffer();
    return rest;
  }

  /** After a delimiter: "--" closes the body; otherwise optional padding, CRLF, then the next part's headers. */
  private Buffer afterDelimiter(Buffer input) {
    line.appendBuffer(input);
    if (line.length() >= 2 && line.getByte(0) == '-' && line.getByte(1) == '-') {
      state = State.EPILOGUE;
      return null;
    }
    int end = LINE_END.indexOf(line);
    if (end < 0) {
      if (line.length() > MAX_DELIMITER_LINE) {
        throw malformed("a boundary line is not terminated");
      }
      return null;
    }
    if (!line.getString(0, end, "ISO-8859-1").isBlank()) {
      throw malformed("unexpected bytes after a boundary");
    }
    Buffer rest = line.getBuffer(end + 2, line.length());
    state = State.HEADERS;
    line = Buffer.buffer();
    return rest;
  }

  private Buffer headers(Buffer input) {
    line.appendBuffer(input);
    String text = line.toString(StandardCharsets.ISO_8859_1);
    int end = text.startsWith("\r\n") ? 0 : text.indexOf("\r\n\r\n");
    if (end < 0 || end > MAX_HEADERS) {
      if (end > MAX_HEADERS || line.length() > MAX_HEADERS + 4) {
        throw malformed("part headers longer than " + MAX_HEADERS + " bytes");
      }
      return null;
    }
    boolean file = isFilePart(text.substring(0, end));
    int bodyStart = end == 0 ? 2 : end + 4;
    Buffer rest = line.getBuffer(bodyStart, line.length());
    line = Buffer.buffer();
    state = file && !fileStarted ? State.FILE_PART : State.SKIP_PART;
    fileStarted |= file;
    return rest;
  }

  private static boolean isFilePart(String headers) {
    for (String header : headers.split("\r\n")) {
      int colon = header.indexOf(':');
      if (colon > 0 && header.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-disposition")
          && FILENAME.matcher(header.substring(colon + 1)).find()) {
        return true;
      }
    }
    return false;
  }

  private Rejection malformed(String what) {
    return Rejection.badRequest("The multipart/form-data body is malformed (" + what + ")");
  }

  @Override
  public Future<Void> end() {
    if (!fileStarted) {
      return Future.failedFuture(Rejection.badRequest("The multipart/form-data body has no file part; send the "
          + what + " as its first file part or as the raw request body"));
    }
    if (!fileDone || state != State.EPILOGUE) {
      return Future.failedFuture(malformed("it ends before its closing boundary"));
    }
    return delegate.end();
  }
}

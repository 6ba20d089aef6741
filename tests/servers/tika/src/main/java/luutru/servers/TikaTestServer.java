package luutru.servers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import org.apache.tika.Tika;
import org.apache.tika.io.TikaInputStream;
import org.apache.tika.metadata.Metadata;
import org.apache.tika.metadata.TikaCoreProperties;
import org.apache.tika.parser.AutoDetectParser;
import org.apache.tika.parser.ParseContext;
import org.apache.tika.parser.Parser;
import org.apache.tika.parser.RecursiveParserWrapper;
import org.apache.tika.sax.BasicContentHandlerFactory;
import org.apache.tika.sax.RecursiveParserWrapperHandler;

/**
 * The part of the Tika server's REST interface that luutru's {@code TikaServerExtractor} uses, over
 * Apache Tika's own parsers (tika-parsers-standard-package), for the tests.
 *
 * <p>Why not the Tika server itself: {@code org.apache.tika:tika-server-standard} (and
 * tika-server-core) are not served by the Maven registry these machines reach. This front keeps the
 * server's behaviour where the adapter can see it, as Tika 3.x's {@code RecursiveMetadataResource}
 * defines it: {@code PUT /rmeta[/xml|text|html|ignore]} parses with {@code RecursiveParserWrapper}
 * and answers 200 with the JSON list of metadata (container first, one value as a string, several as
 * an array, the text under {@code X-TIKA:content}); a parse that fails still answers 200, the
 * exception being recorded by Tika under {@code X-TIKA:EXCEPTION:container_exception}; the
 * {@code writeLimit}, {@code throwOnWriteLimitReached} and {@code maxEmbeddedResources} headers are
 * honoured; {@code GET /version} and {@code GET /tika} answer as the server does.
 *
 * <pre>java -cp ... luutru.servers.TikaTestServer PORT</pre>
 */
public final class TikaTestServer {

    private static final Parser PARSER = new AutoDetectParser();
    private static final String VERSION = new Tika().toString();  // "Apache Tika 3.3.1"
    private static final JsonFactory JSON = new JsonFactory();

    private TikaTestServer() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.createContext("/version", ex -> text(ex, "GET", VERSION));
        server.createContext("/tika", ex -> text(ex, "GET", "This is Tika Server (" + VERSION + "). Please PUT\n"));
        server.createContext("/rmeta", TikaTestServer::rmeta);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        System.out.println("Tika test server (" + VERSION + ") on 127.0.0.1:" + port);
    }

    private static void text(HttpExchange ex, String method, String body) throws IOException {
        if (!ex.getRequestMethod().equals(method)) {
            send(ex, 405, "text/plain", "");
            return;
        }
        send(ex, 200, "text/plain; charset=UTF-8", body);
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void rmeta(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String handler = path.equals("/rmeta") || path.equals("/rmeta/") ? "xml" : path.substring("/rmeta/".length());
        if (!List.of("xml", "text", "html", "ignore", "body").contains(handler)) {
            send(ex, 404, "text/plain", "");
            return;
        }
        if (!ex.getRequestMethod().equals("PUT")) {
            send(ex, 405, "text/plain", "");
            return;
        }
        var headers = ex.getRequestHeaders();
        int writeLimit = headers.containsKey("writeLimit") ? Integer.parseInt(headers.getFirst("writeLimit")) : -1;
        boolean throwOnLimit = !"false".equalsIgnoreCase(headers.getFirst("throwOnWriteLimitReached"));
        int maxEmbedded = headers.containsKey("maxEmbeddedResources")
                ? Integer.parseInt(headers.getFirst("maxEmbeddedResources")) : -1;
        ParseContext context = new ParseContext();
        RecursiveParserWrapperHandler out = new RecursiveParserWrapperHandler(
                new BasicContentHandlerFactory(BasicContentHandlerFactory.parseHandlerType(handler,
                        BasicContentHandlerFactory.HANDLER_TYPE.XML), writeLimit, throwOnLimit, context),
                maxEmbedded);
        Metadata metadata = new Metadata();
        String disposition = headers.getFirst("Content-Disposition");
        if (disposition != null && disposition.contains("filename=")) {
            metadata.set(TikaCoreProperties.RESOURCE_NAME_KEY,
                    disposition.substring(disposition.indexOf("filename=") + 9).replace("\"", "").trim());
        }
        try (InputStream body = ex.getRequestBody(); TikaInputStream tis = TikaInputStream.get(body)) {
            new RecursiveParserWrapper(PARSER).parse(tis, out, metadata, context);
        } catch (Exception | OutOfMemoryError | StackOverflowError e) {
            // As the server's /rmeta: the parse failed, the list still goes back (the wrapper has
            // recorded the exception in the container's metadata).
        }
        byte[] json = serialize(out.getMetadataList());
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, json.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(json);
        }
    }

    private static byte[] serialize(List<Metadata> list) throws IOException {
        var buffer = new java.io.ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(buffer)) {
            g.writeStartArray();
            for (Metadata m : list) {
                g.writeStartObject();
                for (String name : m.names()) {
                    String[] values = m.getValues(name);
                    if (values.length == 1) {
                        g.writeStringField(name, values[0]);
                    } else {
                        g.writeArrayFieldStart(name);
                        for (String v : values) {
                            g.writeString(v);
                        }
                        g.writeEndArray();
                    }
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        return buffer.toByteArray();
    }
}

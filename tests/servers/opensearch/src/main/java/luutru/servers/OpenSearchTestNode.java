package luutru.servers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node on loopback for luutru's tests: the modules the distribution ships that luutru
 * uses are loaded as classpath plugins (Netty 4 for HTTP, analysis-common for the mapping's
 * char_filter and asciifolding, painless, mapper-extras and reindex), with no security plugin.
 *
 * <pre>java -cp ... luutru.servers.OpenSearchTestNode HOME HTTP_PORT</pre>
 *
 * Data, logs and the node's files live under HOME. The process runs until it is sent SIGTERM
 * (tests/servers/stop), when the node is closed cleanly.
 */
public final class OpenSearchTestNode {

    /** Node's plugin-taking constructor is protected: this subclass only opens it. */
    static final class ClasspathPluginNode extends Node {
        ClasspathPluginNode(Settings settings, Path home) {
            super(InternalSettingsPreparer.prepareEnvironment(settings, java.util.Map.of(), home.resolve("config"),
                    () -> "luutru-test"),
                  List.of(Netty4Plugin.class, CommonAnalysisPlugin.class, PainlessPlugin.class,
                          MapperExtrasPlugin.class, ReindexPlugin.class),
                  true);
        }
    }

    private OpenSearchTestNode() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: OpenSearchTestNode HOME HTTP_PORT");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(home.resolve("config"));
        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "luutru-test")
            .put("node.name", "luutru-test")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", args[1])
            .put("transport.port", "19300-19400")
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            // a developer's disk may be fuller than the default watermarks allow for new shards
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();
        Node node = new ClasspathPluginNode(settings, home);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "luutru-test-node-shutdown"));
        node.start();
        System.out.println("OpenSearch test node started on 127.0.0.1:" + args[1]);
        stopped.await();
    }
}

import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The lab's Java device: one thread per name fetching http://NAME/ping after
 * exponential gaps, through the JVM's own InetAddress cache (30 s by default)
 * and HttpURLConnection's keep-alive cache, both left at their defaults.
 */
public final class LabClient {
    public static void main(String[] args) throws Exception {
        String client = args[0];
        int names = Integer.parseInt(args[1]);
        double gapMs = Double.parseDouble(args[2]) * 1000;
        for (int i = 0; i < names; i++) {
            final int name = i;
            Thread t = new Thread(() -> loop(client, name, gapMs));
            t.setDaemon(false);
            t.start();
        }
    }

    private static void loop(String client, int name, double gapMs) {
        long k = 0;
        while (true) {
            double u = ThreadLocalRandom.current().nextDouble();
            try {
                Thread.sleep((long) (-gapMs * Math.log(1 - u)));
                URL url = new URL("http://n" + name + ".lab.test/ping?c=" + client + "&k=" + k++);
                HttpURLConnection c = (HttpURLConnection) url.openConnection();
                c.setConnectTimeout(5000);
                c.setReadTimeout(5000);
                try (InputStream in = c.getInputStream()) {
                    in.readAllBytes();
                }
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // a failed request is missing from the logs, as it would be from a server's
            }
        }
    }
}

/**
 * Runtime half of the editor's "Twin" sidebar (the editor half is plugins/twin-sidebar.html,
 * copied beside this file by scripts/build-nodes.js). Registered as the Node-RED plugin
 * "twinloop-sidebar" (package.json node-red.plugins).
 *
 * Admin endpoints (each behind Node-RED's admin authentication when adminAuth is set):
 *   GET /twinloop/twin                     the combined summary (twin-summary.ts, TwinSummary)
 *   GET /twinloop/twin/history?key=<key>   the chart's points of one signal (actual, simulated)
 *   GET /twinloop/twin/history/<key>       the same, the key URL-encoded as one path segment
 * Permission: "twinloop.read" (any user with "read" or "*"). There is no write endpoint: floor-plan
 * positions are edited in the twin-model config node in the editor and deployed with it.
 *
 * Comms: the same summary every second on topic "twinloop/twin" while at least one TwinLoop node
 * is registered (the tick also feeds the chart history); once more, empty, after the last one closed.
 */
import { onRegistryChange, registered } from '../nodes/common/twin-registry';
import { buildSummary, SignalHistory, type TwinSummary } from './twin-summary';

const commsTopic = 'twinloop/twin';
const readPermission = 'twinloop.read';
const publishEveryMs = 1000;
/** A summary younger than this is served again rather than built again (providers run at most ~1/s). */
const cacheMs = 900;
const maxKeyLength = 1024;

interface Request {
  params: Record<string, string | undefined>;
  query: Record<string, unknown>;
}
interface Response {
  json(body: unknown): void;
  status(code: number): Response;
  set?(field: string, value: string): Response;
}
type Handler = (req: Request, res: Response, next?: () => void) => void;

/** The part of the plugin API this plugin uses. */
interface PluginAPI {
  plugins: { registerPlugin(id: string, definition: Record<string, unknown>): void };
  comms?: { publish(topic: string, data: unknown, retain?: boolean): void };
  events?: { on(event: string, listener: (...args: unknown[]) => void): void; removeListener(event: string, listener: (...args: unknown[]) => void): void };
  httpAdmin?: { get(path: string, ...handlers: Handler[]): void } | null | false;
  auth?: { needsPermission(permission: string): Handler };
  log?: { debug(m: unknown): void; warn(m: unknown): void };
}

/** What a running plugin holds; a second registration (a runtime started again in-process) replaces the first. */
interface Running {
  dispose(): void;
}
let running: Running | undefined;

function twinSidebarPlugin(RED: PluginAPI): void {
  running?.dispose();

  const history = new SignalHistory(300, 2000);
  let cached: TwinSummary | undefined;
  let timer: NodeJS.Timeout | undefined;
  let publishedEmpty = true;

  /** The summary of now (at most ~1 s old); each new one also feeds the chart history. */
  function current(): TwinSummary {
    const now = Date.now();
    if (cached && now - cached.time < cacheMs && now >= cached.time) return cached;
    cached = buildSummary(registered(), now);
    history.record(cached);
    return cached;
  }

  function publish(summary: TwinSummary): void {
    // Node-RED sends it to every connected (and, with adminAuth, authenticated) editor; none: no cost.
    if (!RED.comms) return;
    try {
      RED.comms.publish(commsTopic, summary, false);
    } catch (err) {
      RED.log?.debug(`twinloop-sidebar: publish failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  function tick(): void {
    if (registered().length === 0) {
      // The last node closed: one empty summary tells the editors, then the timer stops.
      stop();
      cached = undefined;
      if (!publishedEmpty) publish(buildSummary([], Date.now()));
      publishedEmpty = true;
      return;
    }
    publishedEmpty = false;
    publish(current());
  }

  function start(): void {
    if (timer) return;
    timer = setInterval(tick, publishEveryMs);
    timer.unref();
  }

  function stop(): void {
    if (timer) clearInterval(timer);
    timer = undefined;
  }

  const stopWatching = onRegistryChange(() => {
    if (registered().length > 0) start();
    // When the last node leaves, the next tick publishes the empty summary and stops: a redeploy
    // (nodes closed, then created again within milliseconds) never shows an empty twin.
  });
  if (registered().length > 0) start();

  /** Flows stopped (Node-RED stopping, or a deploy under way): the nodes closed, so the timer stops now. */
  const onFlowsStopped = (): void => {
    if (registered().length === 0) stop();
  };
  /** Flows started again (a deploy) without any TwinLoop node: the editors hear it at once. */
  const onFlowsStarted = (): void => {
    if (registered().length === 0) tick();
  };
  RED.events?.on('flows:stopped', onFlowsStopped);
  RED.events?.on('flows:started', onFlowsStarted);

  const self: Running = {
    dispose() {
      stop();
      stopWatching();
      RED.events?.removeListener('flows:stopped', onFlowsStopped);
      RED.events?.removeListener('flows:started', onFlowsStarted);
      if (running === self) running = undefined;
    },
  };
  running = self;

  RED.plugins.registerPlugin('twinloop-sidebar', { type: 'twinloop-sidebar' });

  const app = RED.httpAdmin;
  if (!app) return; // the editor and admin API are off (httpAdminRoot: false)
  const needs = (permission: string): Handler => (RED.auth ? RED.auth.needsPermission(permission) : (_req, _res, next) => next?.());
  const noStore = (res: Response): void => {
    res.set?.('Cache-Control', 'no-store');
  };

  app.get('/twinloop/twin', needs(readPermission), (_req, res) => {
    noStore(res);
    res.json(current());
  });

  const answerHistory = (key: unknown, res: Response): void => {
    noStore(res);
    if (typeof key !== 'string' || key === '' || key.length > maxKeyLength) {
      res.status(400).json({ error: 'Give the signal key: /twinloop/twin/history?key=<asset>/<signal>' });
      return;
    }
    current(); // brings the history up to now
    res.json(history.get(key));
  };
  app.get('/twinloop/twin/history', needs(readPermission), (req, res) => answerHistory(req.query.key, res));
  app.get('/twinloop/twin/history/:key', needs(readPermission), (req, res) => answerHistory(req.params.key, res));
}

export = twinSidebarPlugin;

import type { HttpRequest, HttpResponse, NodeAPI } from '../common/red';
import type { TwinSourceNode } from './source-node';

/**
 * GET /twinloop/sources/:id/browse?nodeId=… lists the variables under a node of a deployed OPC UA
 * source, so the editor can offer them instead of making the technician type node ids.
 * Guarded by Node-RED's admin authentication like every other editor endpoint.
 */
export function registerBrowseEndpoint(RED: NodeAPI): void {
  RED.httpAdmin.get('/twinloop/sources/:id/browse', RED.auth.needsPermission('twin-source.read'), (req: HttpRequest, res: HttpResponse) => {
    const source = RED.nodes.getNode(req.params.id) as TwinSourceNode | null;
    if (!source || source.type !== 'twin-source') {
      res.status(404).json({ error: 'Deploy the twin-source first, then browse.' });
      return;
    }
    if (!source.opcua) {
      res.status(400).json({ error: 'Only OPC UA sources can be browsed.' });
      return;
    }
    if (source.opcua.state.state.name === 'idle') source.opcua.connect();
    if (source.opcua.state.state.name !== 'connected') {
      res.status(409).json({ error: `The source is ${source.opcua.state.state.name}; browse needs a connection.` });
      return;
    }
    const rootNodeId = typeof req.query.nodeId === 'string' && req.query.nodeId ? req.query.nodeId : undefined;
    source.opcua.browseVariables(rootNodeId, 6, 2000).then(
      (entries) => res.json({ variables: entries.filter((entry) => entry.nodeClass === 'Variable') }),
      (err: unknown) => res.status(502).json({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

import { ConfigError, isTwinError } from '../../core/errors';
import { modelFromBrowse } from '../../core/model/discover';
import type { HttpRequest, HttpResponse, Node, NodeAPI } from '../common/red';
import type { TwinSourceNode } from '../twin-source/source-node';
import { loadModel, type TwinModelDef, type TwinModelNode } from './model-node';

function errorJson(res: HttpResponse, code: number, err: unknown): void {
  res.status(code).json({ error: err instanceof Error ? err.message : String(err), reason: isTwinError(err) ? err.shortReason : undefined });
}

export = function registerTwinModel(RED: NodeAPI): void {
  function TwinModelConfig(this: TwinModelNode, def: TwinModelDef): void {
    RED.nodes.createNode(this, def);
    try {
      this.model = loadModel(def.model);
    } catch (err) {
      this.configError = isTwinError(err) ? (err as ConfigError) : new ConfigError('bad model', err instanceof Error ? err.message : String(err));
      this.error(this.configError.message);
    }
  }

  RED.nodes.registerType('twin-model', TwinModelConfig as unknown as (this: Node, def: TwinModelDef) => void);

  // The editor validates a model before saving it: the answer names the exact place of a problem.
  RED.httpAdmin.post('/twinloop/models/validate', RED.auth.needsPermission('twin-model.write'), (req: HttpRequest, res: HttpResponse) => {
    try {
      res.json({ model: loadModel(req.body) });
    } catch (err) {
      errorJson(res, 400, err);
    }
  });

  // A model proposed from a deployed OPC UA source's address space, for the technician to review.
  RED.httpAdmin.get('/twinloop/models/discover/opcua/:sourceId', RED.auth.needsPermission('twin-model.read'), (req: HttpRequest, res: HttpResponse) => {
    const source = RED.nodes.getNode(req.params.sourceId) as TwinSourceNode | null;
    if (!source?.opcua) {
      res.status(404).json({ error: 'Pick a deployed OPC UA twin-source.' });
      return;
    }
    if (source.opcua.state.state.name === 'idle') source.opcua.connect();
    if (source.opcua.state.state.name !== 'connected') {
      res.status(409).json({ error: `The source is ${source.opcua.state.state.name}; try again when it is connected.` });
      return;
    }
    source.opcua.browseVariables(undefined, 8, 20000).then(
      (entries) => {
        const proposal = modelFromBrowse(entries, { name: source.name || 'plant' });
        res.json({ proposal, notes: proposal.notes });
      },
      (err: unknown) => errorJson(res, 502, err),
    );
  });
};

import {
  AttributeIds,
  ClientMonitoredItem,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  TimestampsToReturn,
  resolveNodeId,
  type ClientMonitoredItemBase,
  type ClientSubscription,
} from 'node-opcua-client';
import { statusOnlyReading, toReading, type OpcuaReading } from './opcua-values';

export interface MonitoredItemSpec {
  nodeId: string;
  samplingIntervalMs: number;
  queueSize: number;
  deadband?: { type: 'absolute' | 'percent'; value: number };
}

const BAD_NODE_ID_INVALID = 0x80330000;

function deadbandFilter(spec: MonitoredItemSpec): DataChangeFilter | null {
  if (!spec.deadband || !(spec.deadband.value > 0)) return null;
  return new DataChangeFilter({
    trigger: DataChangeTrigger.StatusValue,
    deadbandType: spec.deadband.type === 'percent' ? DeadbandType.Percent : DeadbandType.Absolute,
    deadbandValue: spec.deadband.value,
  });
}

/** A flow's callback must not break the subscription that serves every other item. */
function safely(onReading: (reading: OpcuaReading) => void, reading: OpcuaReading): void {
  try {
    onReading(reading);
  } catch {
    // the adapter reports its own errors; node-opcua's publish loop must keep running
  }
}

/**
 * Creates the items on `subscription` and feeds their values to `onReading` while `isCurrent()`.
 * An item the server refuses (unknown node, deadband not allowed...) is reported once as a
 * value-less reading carrying the server's StatusCode, so the flow shows it as bad quality.
 * Resolves with the items that were created (the caller terminates them on stop()).
 */
export async function createMonitoredItems(
  subscription: ClientSubscription,
  specs: MonitoredItemSpec[],
  onReading: (reading: OpcuaReading) => void,
  isCurrent: () => boolean,
): Promise<ClientMonitoredItemBase[]> {
  const created: ClientMonitoredItemBase[] = [];
  await Promise.all(
    specs.map(async (spec) => {
      let item: ClientMonitoredItemBase;
      try {
        item = ClientMonitoredItem.create(
          subscription,
          { nodeId: resolveNodeId(spec.nodeId), attributeId: AttributeIds.Value },
          { samplingInterval: spec.samplingIntervalMs, queueSize: spec.queueSize, discardOldest: true, filter: deadbandFilter(spec) },
          TimestampsToReturn.Both,
        );
      } catch (err) {
        if (isCurrent()) safely(onReading, statusOnlyReading(spec.nodeId, BAD_NODE_ID_INVALID, `BadNodeIdInvalid: ${(err as Error).message}`));
        return;
      }
      // listen before the server can answer, so the first value is never missed
      item.on('changed', (dataValue) => {
        if (isCurrent()) safely(onReading, toReading(spec.nodeId, dataValue));
      });
      const ok = await new Promise<boolean>((resolve) => {
        item.once('initialized', () => resolve(true));
        item.once('err', () => resolve(false));
        item.once('terminated', () => resolve(false));
      });
      if (!isCurrent()) {
        if (ok) item.terminate().catch(() => undefined);
        return;
      }
      if (ok) {
        created.push(item);
        return;
      }
      const status = (item as unknown as { statusCode?: { value: number; name: string } }).statusCode;
      safely(onReading, statusOnlyReading(spec.nodeId, status?.value ?? 0x80000000, status?.name ?? 'Bad'));
    }),
  );
  return created;
}

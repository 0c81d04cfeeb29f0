export { ownerOf, assign, rendezvousScore } from './rendezvous';
export { parseAssetList, assetFilter, assetLevelCount, clusterFilterProblem, sharedFilter, MAX_CLUSTER_ASSETS } from './assets';
export {
  AssetStateBook, decodeAssetState, encodeAssetState, assetStateObject, samplesOfState, stateTopic, assetOfStateTopic,
  type AssetState, type SignalState,
} from './state-codec';
export { clusterTopics, groupProblem, prefixProblem, memberIdProblem, decodeMemberRecord, decodeReady, decodeReleased, viewKey } from './protocol';
export { ClusterMember, type ClusterOptions, type ClusterEvents, type ClusterTransport, type ClusterSummary, type ClusterPhase } from './member';

// densenas-webgpu as a library: `import { ... } from 'densenas-webgpu'`. What the densenas
// commands do, as typed functions: configs and spaces, cost tables, the search with progress and
// per-epoch callbacks, derivation, retraining, validation, export (safetensors and ONNX),
// prediction, plots and the data loader. The engine itself is 'densenas-webgpu/engine'.
export { init, destroy } from './engine/runtime.js';
export { quietDawnWarnings } from './engine/quiet.js';
export { listAdapters, type AdapterEntry } from './engine/device.js';
export {
  openEngine, resolveConfig, searchCosts, expectedCost, countArch, buildLatencyTable, search, derive, retrain, validateModel,
  exportModel, progressReporter, sampleArchitectures, scoreArchitectures,
  type Progress, type RunOptions, type SearchRunOptions, type SearchRunResult, type RetrainRunOptions, type ExportResult,
  type LatencyTableOptions, type ArchScore,
} from './nas/api.js';
export { kendallTau } from './nas/metrics.js';
export { defaultConfig, loadConfig, configToYaml, type Config } from './nas/config.js';
export { buildSpace, spaceCounts, type SearchSpace } from './nas/space.js';
export {
  readCostTable, readAnyCostTable, writeCostTable, flopsTable, resolveCosts, costsFromFile, opsTableCost, spaceOpDescs,
  buildCostTable, type CostTable,
} from './nas/cost_table.js';
export { chainedCost } from './nas/cost_chain.js';
export {
  readNetConfig, parseNetConfigText, parseNetConfigJson, formatArch, archOps, netConfigToJson, netConfigToText, type NetConfig,
} from './nas/net_config.js';
export { opCounts, sumCounts } from './nas/counting.js';
export { derivedFor, type DerivedNet } from './nas/derived.js';
export { loadFolded, FoldedNet, type FoldedMeta } from './nas/export.js';
export { writeOnnx, type OnnxExport } from './nas/onnx.js';
export { predict, type Prediction } from './nas/predict.js';
export { streamReporter, silentReporter, type StepReporter, type PhaseBar, type StepStats } from './nas/progress.js';
export { writeRunPlots, writeComparePlot, writeParetoPlot } from './nas/plots/index.js';
export { openDataset, LmdbDataset, FolderDataset, type Dataset } from './nas/data/dataset.js';
export { Loader, type Batch, type LoaderOptions } from './nas/data/loader.js';
export { trainConfig, evalConfig, FASHION_MNIST_STATS, IMAGENET_STATS, type AugmentConfig } from './nas/data/augment.js';
export { importFashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_DIR } from './nas/data/fashion_mnist.js';
export { writeSplit } from './nas/data/split.js';
export { packImages } from './nas/data/pack.js';

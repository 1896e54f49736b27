// Public API of lib/data (barrel). Each module owner adds its exports here.
export * from "./types.ts";
export { readNifti, NIFTI_DTYPES, type NiftiDtype, type NiftiHeaderInfo, type NiftiReadResult } from "./nifti.ts";
export { writeNifti, encodeNifti, affineToQuatern, type Quatern } from "./nifti-write.ts";
export { readDicomSeries, type DicomSeries } from "./dicom.ts";
export { readPngSlice, readPngStack, encodePngGrey, type PngSlice } from "./png.ts";
export { readSifaTfRecord, readTfRecords, decodeExample, crc32c, maskedCrc32c, encodeTfRecord, type SifaSlice, type Feature } from "./tfrecord.ts";
export { diagonalAffine, spacingFromAffine, directionFromAffine, subgridAffine, assertSameGrid, assertFinite } from "./geometry.ts";
export { mapLabelValues, mapLabelVolume, distinctValues, type LabelCodeMap } from "./labels.ts";
export * from "./datasets.ts";
export { resolveDataRoot, findDataRoot, DEFAULT_DATA_ROOT, REPO_ROOT } from "./root.ts";
export { listChaosCases, loadChaosCase, listBtcvCases, loadBtcvCase } from "./abdominal.ts";
export { listMmwhsCases, loadMmwhsCase, listSifaFiles, loadSifaFile, sifaModality, type MmwhsCaseRef } from "./cardiac.ts";
export { resampleImage, resampleLabels } from "./resample.ts";
export { cropXY, cropZ, foregroundCentreXY, foregroundZRange, roiCentreXY } from "./crop.ts";
// `percentile` is exported as intensityPercentile: lib/metrics exports its own percentile (HD95).
export { percentile as intensityPercentile, selectKth, clipTopPercent, zscore } from "./intensity.ts";
export { preprocessCase, type PreprocessOptions, type PreprocessRecord } from "./preprocess.ts";
export { slice25D, slice25DInto, patch3D, patch3DInto, choosePatchStart } from "./samples.ts";
export { augmentSample, type AugmentOptions } from "./augment.ts";
export { makeSplit, loadOrCreateSplits, mmwhsSplits, splitsPath, SPLIT_SEED, MMWHS_FIXED_TEST, type ModalitySplit, type SplitFile } from "./splits.ts";
export { prepareDataset, defaultPrepareOptions, type PrepareOptions, type Manifest, type ManifestCase } from "./prepare.ts";
export * from "./synthetic.ts";
export { readImage, labelValues, type AnyImage, type ImageFormat } from "./read.ts";
export { loadBundledAbdominal, bundledAbdominalSplits, hasBundledAbdominal, loadBundledSifa, loadPrepared, type BundledLoadOptions, type SplitCases, type SplitName } from "./bundled.ts";

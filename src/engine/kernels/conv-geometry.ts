// The convolution geometry both convolution-gradient kernels work from, derived once by tfjs-core's own rules.
import { tf } from '../tf.js';

export interface Geometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  padTop: number;
  padLeft: number;
}

export interface ConvAttrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: Parameters<typeof tf.backend_util.computeConv2DInfo>[4];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Geometry of the convolution x [n, h, w, c] * filter [fh, fw, c, outC] (channels last), checking that `dy`
 * has the output shape; `kernel` names the caller in the error.
 */
export function convGeometry(
  kernel: string,
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  dyShape: readonly number[],
  { strides, dilations, pad, dimRoundingMode }: ConvAttrs,
): Geometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  tf.util.assert(
    tf.util.arraysEqual(dyShape as number[], info.outShape),
    () => `Error in ${kernel}: dy shape ${dyShape} does not match the conv output shape ${info.outShape}`,
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

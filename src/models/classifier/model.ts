// A plain classifier family: the domain classifiers behind the sample-quality metrics (FD, KID,
// precision/recall, class coverage) are ordinary latentlab runs of this family.
import { type Scalar, type Tensor, tf, tfl } from '../../engine/tf.js';
import { ConfigError } from '../../errors.js';
import {
  type Batch,
  type BuildContext,
  type LossRecord,
  type ModelFamily,
  type NetworkRole,
  SAMPLES_INPUT,
  type TrainableModel,
} from '../family.js';
import { augmentationOff, augmentImages } from '../shared/augmentation.js';
import { oneHot } from '../shared/labels.js';
import { initialisers } from '../shared/layers.js';
import { minimize, trainableVariables } from '../shared/step.js';
import { ClassifierConfig } from './config.js';

/**
 * A Sequential network of its own, not the autoencoders' shared body: stride-1 3x3 convolutions with max pooling
 * (the pooling layers are where forward() applies conv dropout), or ReLU dense layers, then `features` and `logits`.
 */
function buildNetwork(config: ClassifierConfig, context: BuildContext, numClasses: number) {
  const init = initialisers(context);
  const net = tfl.sequential({ name: 'classifier' });
  if (!augmentationOff(config.augment) && context.sampleShape.length !== 3) {
    throw new ConfigError(
      `augmentation needs image samples [h, w, c], got [${context.sampleShape}] (leave model.augment out)`,
      { path: 'model.augment' },
    );
  }
  if (config.architecture === 'conv') {
    if (context.sampleShape.length !== 3) {
      throw new ConfigError(
        `the conv classifier needs image samples [h, w, c], got [${context.sampleShape}] (use architecture "dense")`,
        { path: 'model.architecture' },
      );
    }
    config.filters.forEach((filters, i) => {
      net.add(
        tfl.layers.conv2d({
          ...(i === 0 ? { inputShape: context.sampleShape } : {}),
          filters,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: init(),
          name: `conv_${i + 1}`,
        }),
      );
      net.add(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: `pool_${i + 1}` }));
    });
    net.add(tfl.layers.flatten({ name: 'flatten' }));
  } else {
    // Flatten needs rank 3 or more; table rows [n, features] are flat already.
    net.add(
      context.sampleShape.length > 1
        ? tfl.layers.flatten({ inputShape: context.sampleShape, name: 'flatten' })
        : tfl.layers.inputLayer({ inputShape: context.sampleShape, name: 'input' }),
    );
    config.hidden.forEach((units, i) => {
      net.add(
        tfl.layers.dense({ units, activation: 'relu', kernelInitializer: init(), name: `dense_${i + 1}` }),
      );
    });
  }
  net.add(
    tfl.layers.dense({
      units: config.features,
      activation: 'relu',
      kernelInitializer: init(),
      name: 'features',
    }),
  );
  net.add(tfl.layers.dense({ units: numClasses, kernelInitializer: init(), name: 'logits' }));
  return net;
}

function requireClasses(context: BuildContext): number {
  if (!context.numClasses || context.numClasses < 2) {
    throw new ConfigError('the classifier needs labelled data with at least 2 classes', {
      path: 'model.kind',
    });
  }
  return context.numClasses;
}

export class ClassifierModel implements TrainableModel<ClassifierConfig> {
  readonly kind = 'classifier';
  readonly optimizerNames = ['classifier'] as const;
  readonly networks: { classifier: tfl.LayersModel };
  readonly numClasses: number;
  /** The layers up to and including `features`, in order (InputLayer excluded). */
  private readonly featureLayers: tfl.layers.Layer[];
  private readonly logitsLayer: tfl.layers.Layer;

  constructor(
    readonly config: ClassifierConfig,
    readonly context: BuildContext,
    classifier: tfl.LayersModel,
  ) {
    this.numClasses = requireClasses(context);
    this.networks = { classifier };
    const layers = classifier.layers.filter((l) => l.getClassName() !== 'InputLayer');
    const end = layers.findIndex((l) => l.name === 'features');
    if (end < 0) throw new ConfigError('classifier network has no layer named "features"');
    this.featureLayers = layers.slice(0, end + 1);
    this.logitsLayer = classifier.getLayer('logits');
  }

  networkRoles(): Record<string, NetworkRole> {
    return {
      classifier: {
        summary: 'classifies samples (dropout is applied by latentlab in training, not in the network)',
        inputs: [SAMPLES_INPUT],
        outputs: ['class logits [n, classes]: apply a softmax for probabilities'],
      },
    };
  }

  /**
   * Logits, with dropout at train time. Dropout lives here rather than in the network: a tfjs Dropout
   * layer with a seed draws the same mask on every call, and without one runs do not reproduce.
   */
  private forward(x: Tensor, training: boolean, step: number): Tensor {
    let h = x;
    let drops = 0;
    const dropout = (t: Tensor, rate: number) =>
      training && rate > 0
        ? tf.dropout(t, rate, undefined, this.context.seed * 7919 + step * 17 + drops++)
        : t;
    for (const layer of this.featureLayers) {
      h = layer.apply(h, { training }) as Tensor;
      if (layer.getClassName() === 'MaxPooling2D') h = dropout(h, this.config.convDropout);
    }
    return this.logitsLayer.apply(dropout(h, this.config.dropout), { training }) as Tensor;
  }

  /** Logits [n, numClasses]. */
  predict(x: Tensor): Tensor {
    return this.networks.classifier.apply(x, { training: false }) as Tensor;
  }

  /** Penultimate activations [n, features] (after relu). */
  features(x: Tensor): Tensor {
    return tf.tidy(() => {
      let h = x;
      for (const layer of this.featureLayers) h = layer.apply(h, { training: false }) as Tensor;
      return h;
    });
  }

  /** Predicted class per sample: [n] int32. */
  classify(x: Tensor): Tensor {
    return tf.tidy(() => tf.cast(tf.argMax(this.predict(x), -1), 'int32'));
  }

  private losses(batch: Batch, training: boolean): LossRecord {
    if (!batch.labels) throw new ConfigError('the classifier needs labels in every batch', { path: 'data' });
    const logits = this.forward(batch.x, training, batch.step);
    const labels = tf.cast(batch.labels, 'int32');
    const loss = tf.losses.softmaxCrossEntropy(oneHot(labels, this.numClasses), logits) as Scalar;
    const accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'float32')) as Scalar;
    return { loss, accuracy };
  }

  trainStep(batch: Batch, optimizers: Record<string, tf.Optimizer>): LossRecord {
    const augment = this.config.augment;
    // Seeded apart from dropout's seeds (seed·7919 + step·17 + k), so poses and masks do not correlate.
    const x = augmentationOff(augment)
      ? batch.x
      : augmentImages(batch.x, augment, this.context.seed * 104_729 + batch.step * 31 + 5);
    try {
      return minimize(
        optimizers.classifier,
        this.trainableVariables(),
        () => this.losses({ ...batch, x }, true),
        'loss',
      );
    } finally {
      if (x !== batch.x) x.dispose();
    }
  }

  evaluate(batch: Batch): LossRecord {
    return tf.tidy(() => this.losses(batch, false));
  }

  trainableVariables(): tf.Variable[] {
    return trainableVariables(this.networks.classifier);
  }

  dispose(): void {
    this.networks.classifier.dispose();
  }
}

export const classifierFamily: ModelFamily<typeof ClassifierConfig> = {
  kind: 'classifier',
  description: 'classifier (cnn or mlp; the domain classifiers behind the sample-quality metrics)',
  configSchema: ClassifierConfig,
  build(config, context) {
    return new ClassifierModel(config, context, buildNetwork(config, context, requireClasses(context)));
  },
  restore(config, context, networks) {
    return new ClassifierModel(config, context, networks.classifier);
  },
};

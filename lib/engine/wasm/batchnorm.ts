/**
 * Portable batch normalization in training mode (channels-last) and its closed-form gradient,
 * written with tf ops so it runs on every backend. Used as the `UmmkdBatchNormTrain(Grad)` kernels
 * of backends that have no faster implementation.
 */
import { tf, type Tensor, type Tensor1D } from "../tf.ts";

/**
 * @param x [..., C]
 * @returns y (shape of x), mean [C], variance [C] (biased: divided by N = size / C)
 */
export function batchNormTrainPortable(x: Tensor, gamma: Tensor1D, beta: Tensor1D, epsilon: number): [Tensor, Tensor1D, Tensor1D] {
  return tf.tidy(() => {
    const C = x.shape[x.shape.length - 1]!;
    const x2 = tf.reshape(x, [-1, C]);
    const mean = tf.mean(x2, 0) as Tensor1D;
    const xc = tf.sub(x2, mean);
    const variance = tf.mean(tf.square(xc), 0) as Tensor1D;
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
    const y = tf.add(tf.mul(xc, scale), beta);
    return [tf.reshape(y, x.shape), mean, variance];
  });
}

/**
 * Closed-form gradient: with N = size / C, rstd = 1/sqrt(var + eps), xhat = (x - mean) * rstd,
 * dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)), dgamma = sum(dy * xhat), dbeta = sum(dy).
 * @returns dx (shape of x), dgamma [C], dbeta [C]
 */
export function batchNormTrainGradPortable(
  dy: Tensor,
  x: Tensor,
  gamma: Tensor1D,
  mean: Tensor1D,
  variance: Tensor1D,
  epsilon: number,
): [Tensor, Tensor1D, Tensor1D] {
  return tf.tidy(() => {
    const C = x.shape[x.shape.length - 1]!;
    const N = x.size / C;
    const x2 = tf.reshape(x, [-1, C]);
    const dy2 = tf.reshape(dy, [-1, C]);
    const rstd = tf.rsqrt(tf.add(variance, epsilon));
    const xhat = tf.mul(tf.sub(x2, mean), rstd);
    const dbeta = tf.sum(dy2, 0) as Tensor1D;
    const dgamma = tf.sum(tf.mul(dy2, xhat), 0) as Tensor1D;
    const k2 = tf.mul(gamma, rstd);
    const inner = tf.sub(tf.sub(dy2, tf.div(dbeta, N)), tf.mul(xhat, tf.div(dgamma, N)));
    const dx = tf.mul(inner, k2);
    return [tf.reshape(dx, x.shape), dgamma, dbeta];
  });
}

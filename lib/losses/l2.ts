/**
 * L2 weight penalty of eq. 5: sum over variables of 0.5 * ||w||^2 (tf.nn.l2_loss), unweighted.
 */
import { tf, type Tensor } from "../engine/tf.ts";

/**
 * @param vars the variables to penalise (e.g. `net.regularizedVariables()`: 2D conv kernels only,
 *   as the released code; 3D all trainable variables)
 * @returns scalar sum_v 0.5 * sum(v^2); 0 for an empty list
 * @see Dou et al. 2020 eq. 5; authors-code-notes section 4
 */
export function l2Loss(vars: readonly Tensor[]): Tensor {
  return tf.tidy(() => {
    if (vars.length === 0) return tf.scalar(0);
    const terms = vars.map((v) => tf.sum(tf.square(v)));
    return tf.mul(terms.length === 1 ? terms[0]! : tf.addN(terms), 0.5);
  });
}

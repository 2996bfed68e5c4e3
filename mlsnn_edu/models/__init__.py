"""The networks of the book, built by name with :func:`build_model`.

=====================  ==================================================================
name                   network
=====================  ==================================================================
``ann_resnet18``       CIFAR ResNet18 with ReLU: the ANN reference (11.17 M parameters
                       at width 64, 10 classes)
``sew_resnet18``       SEW-ResNet18, ADD connect function, multi-level neurons (sigmoid
                       surrogate)
``sparse_resnet18``    the same with a barrier neuron (multi-level, STE) after every
                       residual sum; ``barrier_surrogate="sigmoid"`` gives "Sparse + SG"
``ann_resnet34``,      the same three on the ResNet34 layout (3, 4, 6, 3 blocks), for the
``sew_resnet34``,      paper's first open question: do barriers still tame the avalanche
``sparse_resnet34``    in deeper networks?
``vgg16_snn``          spiking VGG16, binary (levels=1, timesteps=4) or multi-level
                       (levels=4, timesteps=1)
``sew_mobilenetv2``,   spiking MobileNetV2 (inverted residuals, up to four identity
``sparse_mobilenetv2`` shortcuts in a row), without and with barriers; width 64 gives
                       the standard 2.24 M parameters
=====================  ==================================================================

Every network has the attributes ``name``, ``timesteps`` (T) and ``levels``
(N; ``None`` for the ANNs, which have no spikes, and whose ``timesteps`` is 1).
It takes ``[B, C, H, W]`` (repeated over the T timesteps: direct encoding) or
``[T, B, C, H, W]`` (event frames) and returns logits ``[B, num_classes]``
averaged over T. Inside, time is folded into the batch: see
:mod:`mlsnn_edu.models.layers`.

Names of the recorded layers (what :class:`mlsnn_edu.monitor.SpikeMonitor` reports):

* ``stem``: the neuron (ReLU for the ANN) after the first convolution;
* ``layerS.B.sn1``, ``layerS.B.sn2``: the two neurons of block B of stage S
  (``layerS.B.relu1`` in the ANN); ``layerS.0.shortcut.sn``: the neuron ending
  a projection shortcut;
* ``sum0``, ``sum1``, ...: the output of each residual sum, numbered through
  the whole network (``sum1`` is the second block's, the paper's "spikes at
  sum1"). For SEW it is the raw sum, which can exceed N; for Sparse it is the
  barrier neuron's output, in [0, N]; for the ANN it is the ReLU after the sum;
* VGG: ``sn1`` ... ``sn13``, one per convolution;
* MobileNetV2: ``stem``, ``layerS.B.expand.sn``, ``layerS.B.depthwise.sn``,
  ``layerS.B.project.sn``, ``head.sn`` and ``sumK`` for the blocks that add
  their input back.

Gradient groups (what :class:`mlsnn_edu.monitor.GradientNormRecorder` reports)
come from each network's ``block_parameters()``: ``stem``, ``layerS.B``, ``fc``
for the ResNets; ``conv1`` ... ``conv13``, ``fc`` for VGG; ``stem``,
``layerS.B``, ``head``, ``fc`` for MobileNetV2.
"""

from mlsnn_edu.models.registry import MODEL_NAMES, build_model

__all__ = ["MODEL_NAMES", "build_model"]

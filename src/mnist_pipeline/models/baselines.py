"""Non-convolutional baselines: classical models on pixels or a PCA projection, and an MLP.

Each builder returns an unfitted scikit-learn estimator (or, for the MLP, an uncompiled Keras
network) for a :class:`~mnist_pipeline.models.specs.ModelSpec`; :func:`mnist_pipeline.study.experiment.run`
fits it on the flattened training images and logs it like every other model.
"""

from __future__ import annotations

from sklearn.base import ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier, VotingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from mnist_pipeline import config
from mnist_pipeline._tf import keras

layers = keras.layers


def build_logistic_regression() -> ClassifierMixin:
    """Multinomial logistic regression on the 784 raw pixels, L2-regularised (C=0.1)."""
    return LogisticRegression(C=0.1, max_iter=300, tol=1e-3)


def build_random_forest() -> ClassifierMixin:
    """A random forest of 100 fully grown trees on the raw pixels."""
    return RandomForestClassifier(n_estimators=100, n_jobs=-1, random_state=config.SEED)


def build_pca_svm() -> ClassifierMixin:
    """An RBF support-vector machine on a 50-component PCA projection of the pixels.

    The SVM's scores are turned into probabilities by Platt scaling fitted on 3-fold
    cross-validated predictions (one SVM is kept, refitted on all the data), so that it can
    vote in the soft-voting ensemble and be compared in the calibration analysis.
    """
    svm = CalibratedClassifierCV(SVC(C=5.0, gamma="scale"), method="sigmoid", cv=3, ensemble=False)
    return Pipeline([("pca", PCA(n_components=50, random_state=config.SEED)), ("svm", svm)])


def soft_vote(*fitted: tuple[str, ClassifierMixin]) -> ClassifierMixin:
    """A soft-voting ensemble of already fitted classifiers: it averages their probabilities.

    The members are frozen, so fitting the ensemble refits none of them (it only records
    the classes); this is the AutoML winner's idea, a vote of diverse models, at no extra cost.

    Args:
        fitted: ``(name, fitted classifier)`` pairs.

    Returns:
        An unfitted ``VotingClassifier`` over the frozen members.

    Raises:
        ValueError: without members; ``specs.soft_vote(members)`` is the spec to train.
    """
    if not fitted:
        raise ValueError(
            "the soft vote is built from fitted members: train specs.soft_vote(members), "
            "where members are (name, fitted classifier) pairs"
        )
    return VotingClassifier(
        [(name, FrozenEstimator(model)) for name, model in fitted], voting="soft"
    )


def build_mlp() -> keras.Model:
    """A plain dense network, the kind the MLflow example (MNIST Digit Prediction and Model
    Deployment with MLflow) reports 97.8 % for on test; it gives no architecture, so this one is
    our choice, the usual Keras MNIST MLP:

    Flatten, Dense(512, relu), Dropout(0.2), Dense(512, relu), Dropout(0.2), Dense(10, softmax).
    """
    return keras.Sequential(
        [
            keras.Input(shape=config.INPUT_SHAPE),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(config.NUM_CLASSES, activation="softmax"),
        ],
        name="mlp",
    )

"""``glassgrad.data``: datasets, samplers, ``DataLoader``, transforms and readers for real formats
(MNIST/Fashion-MNIST IDX, CIFAR-10 binary, CSV; scikit-learn's digits). PyTorch's
``torch.utils.data`` names; the dataset classes follow torchvision's."""
from . import transforms  # noqa: F401
from .cifar import read_cifar10_batch  # noqa: F401
from .dataloader import DataLoader, default_collate  # noqa: F401
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split  # noqa: F401
from .datasets import CIFAR10, MNIST, ArrayDataset, CSVDataset, FashionMNIST, load_digits  # noqa: F401
from .distributed import DistributedSampler  # noqa: F401
from .download import DownloadError, download_url  # noqa: F401
from .idx import read_idx, write_idx  # noqa: F401
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,  # noqa: F401
                      WeightedRandomSampler)
from .worker import WorkerInfo, get_worker_info  # noqa: F401
